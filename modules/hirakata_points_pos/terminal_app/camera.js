// QR codes in front of the device camera: a printed QR card or the code
// the resident portal shows on a phone. Decoded with the standard
// BarcodeDetector API: the browser's own where it has one (Android
// Chrome), else the same API from vendor/ (barcode-detector on zxing-cpp
// in WebAssembly), served by this server like the rest of the app.

let detector = null;

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(src));
    document.head.append(script);
  });
}

async function qrDetector() {
  if (detector) return detector;
  if ('BarcodeDetector' in window
      && (await window.BarcodeDetector.getSupportedFormats()).includes('qr_code')) {
    detector = new window.BarcodeDetector({formats: ['qr_code']});
    return detector;
  }
  await loadScript('vendor/barcode-detector.js');
  const ponyfill = window.BarcodeDetectionAPI;
  // The WebAssembly from this server, not from a CDN.
  ponyfill.prepareZXingModule({overrides: {
    locateFile: (path, prefix) => (path.endsWith('.wasm')
      ? new URL(`vendor/${path}`, location.href).href : prefix + path),
  }});
  detector = new ponyfill.BarcodeDetector({formats: ['qr_code']});
  return detector;
}

// Show the camera in video and call onText(text) with the first QR code it
// sees; returns stop(). The camera also stops when video leaves the page.
export async function scan(video, onText) {
  const found = await qrDetector();
  const stream = await navigator.mediaDevices.getUserMedia(
    {video: {facingMode: 'environment'}, audio: false});
  let running = true;
  const stop = () => {
    running = false;
    stream.getTracks().forEach((track) => track.stop());
    video.srcObject = null;
  };
  video.srcObject = stream;
  try {
    await video.play();
  } catch (error) {
    stop();  // the camera is not left on behind an error
    throw error;
  }
  const look = async () => {
    if (!running) return;
    if (!video.isConnected) return stop();
    let codes = [];
    try {
      if (video.readyState >= 2) codes = await found.detect(video);
    } catch {
      codes = [];
    }
    if (running && codes.length) {
      stop();
      onText(codes[0].rawValue);
      return;
    }
    setTimeout(look, 200);
  };
  look();
  return stop;
}
