// Field viewer: building DOM nodes without innerHTML (text from the server is never parsed as
// HTML), and the bottom sheet that shows one panel at a time.
(function (TGV) {
  "use strict";

  /** h("div", {class: "x", onclick: fn}, child, "text", [more]) -> element. */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) { return; }
      if (name.slice(0, 2) === "on" && typeof value === "function") {
        el.addEventListener(name.slice(2), value);
      } else if (name === "dataset") {
        Object.keys(value).forEach(function (k) { el.dataset[k] = value[k]; });
      } else if (name === "style" && typeof value === "object") {
        Object.keys(value).forEach(function (k) { el.style.setProperty(k, value[k]); });
      } else if (value === true) {
        el.setAttribute(name, "");
      } else {
        el.setAttribute(name, String(value));
      }
    });
    for (var i = 2; i < arguments.length; i++) { append(el, arguments[i]); }
    return el;
  }

  function append(el, child) {
    if (child === null || child === undefined || child === false) { return; }
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }

  function clear(el) { while (el.firstChild) { el.removeChild(el.firstChild); } return el; }

  // ------------------------------------------------------------------ the bottom sheet
  var current = null;
  var renderers = {};
  var closeListeners = [];

  function sheet() { return document.getElementById("sheet"); }

  /** Show panel `name` (a child #panel-<name> of the sheet) and render it. */
  function show(name) {
    var s = sheet();
    s.querySelectorAll(".panel").forEach(function (p) { p.hidden = p.id !== "panel-" + name; });
    current = name;
    s.hidden = false;
    s.dataset.panel = name;
    document.body.classList.add("sheet-open");
    render();
  }

  function render() {
    if (current && renderers[current]) { renderers[current](); }
  }

  function close() {
    var was = current;
    sheet().hidden = true;
    current = null;
    document.body.classList.remove("sheet-open");
    closeListeners.forEach(function (fn) { fn(was); });
  }

  TGV.dom = {
    h: h,
    clear: clear,
    /** Replace the children of `el` with `children`. */
    fill: function (el) {
      clear(el);
      for (var i = 1; i < arguments.length; i++) { append(el, arguments[i]); }
      return el;
    },
    panels: {
      show: show,
      close: close,
      render: render,
      get current() { return current; },
      /** fn() redraws panel `name` (on show, on language change, on data change). */
      register: function (name, fn) { renderers[name] = fn; },
      onClose: function (fn) { closeListeners.push(fn); }
    },
    /** A short message at the top of the map for a few seconds. */
    toast: function (text, kind) {
      var box = document.getElementById("toast");
      box.textContent = text;
      box.className = "toast" + (kind ? " toast-" + kind : "");
      box.hidden = false;
      clearTimeout(box._timer);
      box._timer = setTimeout(function () { box.hidden = true; }, 4000);
    }
  };
})(window.TGV = window.TGV || {});
