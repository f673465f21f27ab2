// Progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Bring the error summary into view and focus so screen readers and
  // keyboard users start from it.
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  } else {
    // A success message the page landed on (data-focus) is read first.
    var done = document.querySelector("[data-focus]");
    if (done) {
      done.focus();
    }
  }

  // Show the controls that need JavaScript.
  document.querySelectorAll(".js-only").forEach(function (el) {
    el.hidden = false;
  });

  // Print buttons.
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });

  // Copy buttons (transparency log page): copy a command's text and say
  // so in the live region beside the button. Without a clipboard (an
  // insecure origin) the button stays hidden and the text is selectable.
  document.querySelectorAll("[data-copy]").forEach(function (b) {
    var src = document.getElementById(b.getAttribute("data-copy"));
    var row = b.parentNode;
    if (!src || !navigator.clipboard) {
      row.hidden = true;
      return;
    }
    var status = row.querySelector("[role=status]");
    b.addEventListener("click", function () {
      navigator.clipboard.writeText(src.textContent).then(function () {
        if (status) { status.textContent = b.getAttribute("data-copied"); }
      });
    });
  });

  // "Use my location" on the station search: fill the hidden lat/lon and
  // submit the search form. Nothing leaves the browser but to this site.
  var geo = document.getElementById("geo-button");
  if (geo && "geolocation" in navigator) {
    geo.addEventListener("click", function () {
      var form = document.getElementById("station-search");
      geo.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.lat.value = pos.coords.latitude.toFixed(4);
        form.elements.lon.value = pos.coords.longitude.toFixed(4);
        form.elements.q.value = "";
        form.submit();
      }, function () {
        geo.disabled = false;
        var p = document.createElement("p");
        p.className = "error-message";
        p.setAttribute("role", "alert");
        p.textContent = geo.getAttribute("data-error");
        geo.parentNode.appendChild(p);
      }, { timeout: 10000, maximumAge: 600000 });
    });
  } else if (geo) {
    geo.parentNode.hidden = true;
  }
})();
