# Shared shell helpers for scripts/*.sh (sourced, not run).

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Install Debian packages that are not installed yet (one apt-get update, only when needed).
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> apt-get install ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Debian's ClamAV daemon, for the virus-scanning tests and bench/upload.py, which start their own
# clamd with a signature database they write. The package pulls in clamav-freshclam, whose
# service fetches signatures from the internet and, where there is none, retries for ever (it
# never blocks the install: Debian starts it in the background). When this call installed it,
# it is stopped and disabled; a machine that already ran freshclam keeps it as it was.
install_clamd() {
  local had_freshclam=no
  if dpkg-query -W -f='${Status}' clamav-freshclam 2>/dev/null | grep -q "install ok installed"; then
    had_freshclam=yes
  fi
  apt_install clamav-daemon
  if [ "$had_freshclam" = no ]; then
    if [ -d /run/systemd/system ]; then
      as_root systemctl disable --now clamav-freshclam.service >/dev/null 2>&1 || true
    else
      as_root invoke-rc.d clamav-freshclam stop >/dev/null 2>&1 || true
      as_root update-rc.d -f clamav-freshclam disable >/dev/null 2>&1 || true
    fi
  fi
}
