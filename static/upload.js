// Uploads each chosen file with a progress bar and a message per file.
// Small files go in one request whose body is the raw file, so the server streams it to storage
// without a multipart parser. Large files (recordings from phones on flaky connections) go in
// parts through the resumable protocol (see showcase/evidence/views.py): after a dropped
// connection the script asks the server how far it got and carries on from there, retrying with
// backoff a few times before offering a "Resume" button.
// A one-request upload carries the file's SHA-256 (Repr-Digest, RFC 9530) so the server refuses
// a file that did not arrive intact. Resumable uploads carry none: Web Crypto cannot hash a file
// in pieces, and reading a long recording into memory at once would fail on phones.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) return;
  var list = document.getElementById("upload-list");
  var url = form.dataset.uploadUrl;
  var resumableUrl = form.dataset.resumableUrl;
  // Set when the server keeps files in S3: large files then go there directly, part by part.
  var directUrl = form.dataset.directUrl;
  var threshold = parseInt(form.dataset.resumableThreshold, 10);
  var maxBytes = parseInt(form.dataset.maxBytes, 10);
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var zone = document.getElementById("drop-zone");
  // Delays before each retry of a failed part (1, 2, 4, 8, 16 s); then the person decides
  // (Resume button). Tests shorten the base delay through the page's data attribute.
  var baseDelay = parseInt(form.dataset.retryBaseMs, 10) || 1000;
  var BACKOFF_MS = [1, 2, 4, 8, 16].map(function (n) { return n * baseDelay; });
  form.classList.add("js");

  function human(bytes) {
    var units = ["bytes", "KB", "MB", "GB"], i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
    return (i ? bytes.toFixed(1) : bytes) + " " + units[i];
  }

  function row(file) {
    var li = document.createElement("li");
    li.className = "upload-item";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name + " (" + human(file.size) + ")";
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", "Upload progress of " + file.name);
    var status = document.createElement("span");
    status.className = "upload-status";
    status.textContent = "Waiting…";
    li.append(name, bar, status);
    list.appendChild(li);
    return { li: li, bar: bar, status: status, name: file.name };
  }

  function progress(ui, done, total) {
    ui.bar.value = total ? Math.floor((done / total) * 100) : 0;
    ui.status.textContent = ui.bar.value + "%";
  }

  function fail(ui, message) {
    ui.li.classList.add("upload-failed");
    ui.status.textContent = "Not uploaded: " + message;
    ui.bar.remove();
  }

  function succeed(ui, item) {
    ui.bar.value = 100;
    ui.li.classList.add("upload-done");
    ui.status.textContent = "Uploaded. ";
    var a = document.createElement("a");
    a.href = item.url;
    a.textContent = "Describe and tag “" + item.title + "”";
    ui.status.appendChild(a);
  }

  function parse(xhr) {
    try { return JSON.parse(xhr.responseText); } catch (err) { return {}; }
  }

  function errorMessage(xhr, body) {
    return (body.error && body.error.message) || "the server answered " + xhr.status + ".";
  }

  // One request; resolves with the XHR whatever the status (status 0: the connection failed).
  function request(method, target, body, headers, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, target);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      Object.keys(headers || {}).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
      if (onProgress) {
        xhr.upload.onprogress = function (e) { if (e.lengthComputable) onProgress(e.loaded); };
      }
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = xhr.onabort = xhr.ontimeout = function () { resolve({ status: 0, responseText: "" }); };
      xhr.send(body);
    });
  }

  // "sha-256=:<base64>:" for the file, or null where it can't be computed: crypto.subtle
  // exists only on HTTPS (and localhost), and files above the resumable threshold (sent whole
  // when resumable uploads are off) are not read into memory.
  function reprDigest(file) {
    var limit = threshold || 32 * 1024 * 1024;
    if (!(window.crypto && window.crypto.subtle && file.arrayBuffer) || file.size > limit) {
      return Promise.resolve(null);
    }
    return file.arrayBuffer().then(function (buffer) {
      return window.crypto.subtle.digest("SHA-256", buffer);
    }).then(function (digest) {
      var bytes = new Uint8Array(digest), binary = "";
      for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
      return "sha-256=:" + window.btoa(binary) + ":";
    }, function () { return null; });
  }

  function sendWhole(file, ui) {
    ui.status.textContent = "Uploading…";
    return reprDigest(file).then(function (digest) {
      var headers = {
        "X-Filename": encodeURIComponent(file.name),
        "Content-Type": "application/octet-stream"
      };
      if (digest) headers["Repr-Digest"] = digest;
      return request("POST", url, file, headers, function (loaded) { progress(ui, loaded, file.size); });
    }).then(function (xhr) {
      var body = parse(xhr);
      if (xhr.status === 201) succeed(ui, body);
      else if (xhr.status === 0) fail(ui, "the connection dropped. Try again.");
      else fail(ui, errorMessage(xhr, body));
    });
  }

  // -- resumable ---------------------------------------------------------------------------

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  // Remember the session per file so a reload of the page can carry on where it stopped.
  function memoKey(file) {
    return "showcase-upload:" + resumableUrl + ":" + file.name + ":" + file.size + ":" + file.lastModified;
  }
  function remember(file, target) { try { localStorage.setItem(memoKey(file), target); } catch (e) { /* private mode */ } }
  function forget(file) { try { localStorage.removeItem(memoKey(file)); } catch (e) { /* private mode */ } }
  function recalled(file) { try { return localStorage.getItem(memoKey(file)); } catch (e) { return null; } }

  function status(target) {
    return request("GET", target).then(function (xhr) {
      return xhr.status === 200 ? parse(xhr) : null;
    });
  }

  function start(file) {
    var known = recalled(file);
    var existing = known ? status(known) : Promise.resolve(null);
    return existing.then(function (session) {
      if (session && !session.complete) return { session: session };
      return request("POST", resumableUrl, JSON.stringify({ filename: file.name, size: file.size }),
        { "Content-Type": "application/json" }).then(function (xhr) {
        var body = parse(xhr);
        if (xhr.status === 201) { remember(file, body.url); return { session: body }; }
        return { error: xhr.status === 0 ? "the connection dropped. Try again." : errorMessage(xhr, body) };
      });
    });
  }

  function sendResumable(file, ui) {
    ui.status.textContent = "Uploading…";
    return start(file).then(function (started) {
      if (started.error) return fail(ui, started.error);
      return sendParts(file, ui, started.session);
    });
  }

  function sendParts(file, ui, session) {
    var offset = session.offset, attempts = 0;
    function next() {
      progress(ui, offset, file.size);
      var end = Math.min(offset + session.part_size, file.size);
      return request("PATCH", session.url, file.slice(offset, end), {
        "Upload-Offset": String(offset),
        "Content-Type": "application/offset+octet-stream"
      }, function (loaded) { progress(ui, offset + loaded, file.size); }).then(function (xhr) {
        var body = parse(xhr);
        if (xhr.status === 201) { forget(file); return succeed(ui, body.evidence); }
        if (xhr.status === 200 || (xhr.status === 409 && typeof body.offset === "number")) {
          offset = body.offset; attempts = 0;
          return next();
        }
        if (xhr.status === 0 || xhr.status >= 500 || xhr.status === 408) return retry();
        forget(file);
        return fail(ui, errorMessage(xhr, body));
      });
    }
    function retry() {
      if (attempts >= BACKOFF_MS.length) return offerResume();
      var wait = BACKOFF_MS[attempts++];
      ui.status.textContent = "Connection lost. Trying again in " + Math.max(1, Math.round(wait / 1000)) + " s…";
      return sleep(wait).then(function () { return status(session.url); }).then(function (now) {
        if (!now) return retry();
        offset = now.offset;
        ui.status.textContent = "Resuming…";
        return next();
      });
    }
    function offerResume() {
      ui.li.classList.add("upload-paused");
      ui.status.textContent = "Paused at " + Math.floor((offset / file.size) * 100) +
        "%: the connection keeps dropping. Check your signal, then resume. ";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button-secondary";
      button.textContent = "Resume";
      button.setAttribute("aria-label", "Resume uploading " + file.name);
      ui.status.appendChild(button);
      // Let the other files in the queue go on meanwhile; the button restarts this one.
      button.addEventListener("click", function () {
        ui.li.classList.remove("upload-paused");
        attempts = 0;
        ui.status.textContent = "Resuming…";
        status(session.url).then(function (now) {
          if (now) offset = now.offset;
          return next();
        });
      });
    }
    return next();
  }

  // -- direct to S3 ------------------------------------------------------------------------
  // Each part's SHA-256 is sent first and signed into the part's URL, so S3 refuses a part
  // that arrives damaged; after the last part the server checks the whole file before it
  // becomes evidence ("Checking…"), and says why if it refuses it.

  function base64Digest(blob) {
    return blob.arrayBuffer().then(function (buffer) {
      return window.crypto.subtle.digest("SHA-256", buffer);
    }).then(function (digest) {
      var bytes = new Uint8Array(digest), binary = "";
      for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
      return window.btoa(binary);
    });
  }

  // A PUT to S3: no cookies and no CSRF token (they are the app's, not S3's).
  function putToStorage(target, blob, headers, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("PUT", target);
      Object.keys(headers).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) onProgress(e.loaded); };
      xhr.onload = function () { resolve(xhr.status); };
      xhr.onerror = xhr.onabort = xhr.ontimeout = function () { resolve(0); };
      xhr.send(blob);
    });
  }

  function sendDirect(file, ui) {
    ui.status.textContent = "Uploading…";
    var attempts = 0;
    function begin() {
      var known = recalled(file);
      return (known ? status(known) : Promise.resolve(null)).then(function (session) {
        if (session && session.state === "uploading") return session;
        return request("POST", directUrl, JSON.stringify({ filename: file.name, size: file.size }),
          { "Content-Type": "application/json" }).then(function (xhr) {
          var body = parse(xhr);
          if (xhr.status === 201) { remember(file, body.url); return body; }
          throw new Error(xhr.status === 0 ? "the connection dropped. Try again." : errorMessage(xhr, body));
        });
      });
    }
    function sendPart(session, number) {
      var start = (number - 1) * session.part_size;
      var blob = file.slice(start, Math.min(start + session.part_size, file.size));
      return base64Digest(blob).then(function (sha256) {
        return request("POST", session.url + "/parts/" + number, JSON.stringify({ sha256: sha256 }),
          { "Content-Type": "application/json" });
      }).then(function (xhr) {
        var target = parse(xhr);
        if (xhr.status !== 200) throw new Error(errorMessage(xhr, target));
        return putToStorage(target.url, blob, target.headers, function (loaded) {
          progress(ui, start + loaded, file.size);
        });
      }).then(function (code) {
        if (code !== 200) throw new Error("retry");
      });
    }
    function sendMissing(session) {
      return session.missing.reduce(function (p, number) {
        return p.then(function () { return sendPart(session, number); });
      }, Promise.resolve()).then(function () { return session; });
    }
    function finish(session) {
      ui.status.textContent = "Checking the file…";
      return request("POST", session.complete_url).then(function (xhr) {
        var body = parse(xhr);
        if (xhr.status !== 202) throw new Error(errorMessage(xhr, body));
        return poll(body);
      });
    }
    function poll(session) {
      if (session.state === "stored") {
        forget(file);
        return succeed(ui, { url: session.evidence_url, title: file.name });
      }
      if (session.state === "refused") { forget(file); return fail(ui, session.failure); }
      return sleep(1000).then(function () { return status(session.url); }).then(function (now) {
        return poll(now || session);
      });
    }
    function attempt() {
      return begin().then(sendMissing).then(finish).catch(function (error) {
        if (error.message !== "retry" || attempts >= BACKOFF_MS.length) {
          return fail(ui, error.message === "retry" ? "the connection keeps dropping. Try again later." : error.message);
        }
        var wait = BACKOFF_MS[attempts++];
        ui.status.textContent = "Connection lost. Trying again in " + Math.max(1, Math.round(wait / 1000)) + " s…";
        return sleep(wait).then(attempt);
      });
    }
    return attempt();
  }

  function send(file, ui) {
    if (file.size > maxBytes) {
      fail(ui, "larger than the " + human(maxBytes) + " limit.");
      return Promise.resolve();
    }
    var canHash = window.crypto && window.crypto.subtle && file.arrayBuffer;
    if (directUrl && canHash && file.size > threshold) return sendDirect(file, ui);
    if (resumableUrl && file.size > threshold) return sendResumable(file, ui);
    return sendWhole(file, ui);
  }

  function uploadAll(files) {
    var queue = Array.prototype.slice.call(files).map(function (f) { return [f, row(f)]; });
    // One at a time: a phone on a weak connection does better than with parallel uploads.
    return queue.reduce(function (p, item) {
      return p.then(function () { return send(item[0], item[1]); });
    }, Promise.resolve());
  }

  form.querySelectorAll("input[type=file]").forEach(function (input) {
    input.addEventListener("change", function () {
      if (input.files.length) uploadAll(input.files).then(function () { input.value = ""; });
    });
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.add("drag-over"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.remove("drag-over"); });
  });
  zone.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) uploadAll(e.dataTransfer.files);
  });
})();
