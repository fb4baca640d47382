// Uploads each chosen file in its own request with a progress bar and a message per file.
// The body is the raw file, so the server streams it to storage without a multipart parser.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) return;
  var list = document.getElementById("upload-list");
  var url = form.dataset.uploadUrl;
  var maxBytes = parseInt(form.dataset.maxBytes, 10);
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var zone = document.getElementById("drop-zone");
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
    return { li: li, bar: bar, status: status };
  }

  function fail(ui, message) {
    ui.li.classList.add("upload-failed");
    ui.status.textContent = "Not uploaded: " + message;
    ui.bar.remove();
  }

  function send(file, ui) {
    return new Promise(function (resolve) {
      if (file.size > maxBytes) {
        fail(ui, "larger than the " + human(maxBytes) + " limit.");
        return resolve();
      }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("X-Filename", encodeURIComponent(file.name));
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) {
          ui.bar.value = Math.round((e.loaded / e.total) * 100);
          ui.status.textContent = ui.bar.value + "%";
        }
      };
      xhr.onload = function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (err) { /* not JSON */ }
        if (xhr.status === 201) {
          ui.bar.value = 100;
          ui.li.classList.add("upload-done");
          ui.status.textContent = "Uploaded. ";
          var a = document.createElement("a");
          a.href = body.url;
          a.textContent = "Describe and tag “" + body.title + "”";
          ui.status.appendChild(a);
        } else {
          fail(ui, (body.error && body.error.message) || "the server answered " + xhr.status + ".");
        }
        resolve();
      };
      xhr.onerror = function () { fail(ui, "the connection dropped. Try again."); resolve(); };
      ui.status.textContent = "Uploading…";
      xhr.send(file);
    });
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
