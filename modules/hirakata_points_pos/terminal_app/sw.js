// Keeps the app's own files so that a reload without network still opens
// the app (its pending requests are in IndexedDB). API calls are never
// cached: they always go to the server.
const CACHE = 'hirakata-terminal-v2';
const FILES = ['./', 'app.css', 'app.js', 'api.js', 'pending.js', 'reader.js',
  'camera.js', 'store.js', 'city.js', 'dom.js', 'manifest.webmanifest',
  'icon.svg', 'vendor/barcode-detector.js', 'vendor/zxing_reader.wasm'];
// The files of other modules' folders (a venue's venue.js): the server
// writes them in when it serves this file (terminal_app.py), so that a
// new module also changes this file and browsers install it again.
const MODULE_FILES = [];

self.addEventListener('install', (event) => {
  const files = [...new Set(FILES.concat(MODULE_FILES))];
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(files)));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((key) => key !== CACHE).map((key) => caches.delete(key)))));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.pathname.includes('/api/')) {
    return;
  }
  // Network first, so a new version is used at once; the cache when offline.
  event.respondWith(fetch(event.request).then((response) => {
    const copy = response.clone();
    caches.open(CACHE).then((cache) => cache.put(event.request, copy));
    return response;
  }).catch(() => caches.match(event.request)));
});
