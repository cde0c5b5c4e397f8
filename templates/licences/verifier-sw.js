/* The verifier page's service worker (scope /v/): keeps the page, its scripts, its styles and the
 * key set so that /v/o opens and checks codes with no network after one visit (docs/offline.md).
 * Pages and the key set: network first, the copy when offline. Static files: the cached copy. */
"use strict";
var CACHE = "elicence-verifier-{{ version }}";
var PAGE = "{{ page }}";
var KEYS = "{{ jwks }}";
var STATIC = {{ static_files|safe }};

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll([PAGE, KEYS].concat(STATIC)); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("elicence-verifier-") === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  if (event.request.method !== "GET") return;
  var url = new URL(event.request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === PAGE || url.pathname === KEYS) {
    var key = url.pathname;  // one copy of the page, whatever code is in its fragment or query
    event.respondWith(fetch(event.request).then(function (answer) {
      if (answer.ok) { var copy = answer.clone(); caches.open(CACHE).then(function (cache) { cache.put(key, copy); }); }
      return answer;
    }).catch(function () { return caches.match(key); }));
  } else if (STATIC.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(url.pathname).then(function (hit) { return hit || fetch(event.request); }));
  }
});
