/* After a save the page often opens at the part saved (#tags, #section-…): the message goes
   there too, so it is seen and not left above the viewport (issue 18). Without script it stays
   at the top of the page. */
(function () {
  var flashes = document.querySelectorAll("main > .flash");
  var id = decodeURIComponent(location.hash.slice(1));
  var target = id && document.getElementById(id);
  if (!flashes.length || !target || /^(LI|TR|TD|TH|SUMMARY|OPTION|MAIN)$/.test(target.tagName)) return;
  flashes.forEach(function (el) {
    if (/^H[1-6]$/.test(target.tagName)) target.parentNode.insertBefore(el, target.nextSibling);
    else if (target.tagName === "DETAILS") target.insertBefore(el, target.querySelector("summary").nextSibling);
    else if (/^(SECTION|ARTICLE|DIV|ASIDE|FIELDSET)$/.test(target.tagName)) target.insertBefore(el, target.firstChild);
    else target.parentNode.insertBefore(el, target);
  });
  var show = function () {
    var box = flashes[0].getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) flashes[0].scrollIntoView({block: "nearest"});
  };
  show();
  window.addEventListener("load", show);
})();
