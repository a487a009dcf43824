// Where card identifiers come from: the card-reader bridge on this device
// (a WebSocket on 127.0.0.1), a QR code in front of the camera, or digits
// typed or sent by a USB barcode scanner acting as a keyboard.

const BRIDGE = 'ws://127.0.0.1:8765';

// Calls onCard({technology, identifier}) for each card the bridge reads
// and onStatus(text) when the reader comes or goes; reconnects forever.
export function connectBridge(onCard, onStatus) {
  let socket;
  const connect = () => {
    socket = new WebSocket(BRIDGE);
    socket.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === 'card') {
        onCard({technology: message.technology, identifier: message.identifier});
      } else if (message.type === 'status') {
        onStatus(message.reader === 'connected'
          ? 'カードリーダー：接続中' : 'カードリーダー：見つかりません');
      }
    };
    socket.onclose = () => {
      onStatus('カードリーダー：未接続');
      setTimeout(connect, 2000);
    };
  };
  connect();
}

// The Luhn check digit of QR card numbers (identifier.py does the same).
function luhnValid(digits) {
  let total = 0;
  [...digits].reverse().forEach((char, i) => {
    let n = Number(char);
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    total += n;
  });
  return total % 10 === 0;
}

// What a QR code holds: a 16-digit QR card number (its check digit
// valid) or a code shown on the resident portal ("HK" and 24 of A-Z 2-7,
// phone_code.py); null if neither.
export function parseQr(text) {
  const value = text.replace(/[\s:-]/g, '').toUpperCase();
  if (/^\d{16}$/.test(value) && luhnValid(value)) {
    return {technology: 'qr', identifier: value};
  }
  if (/^HK[A-Z2-7]{24}$/.test(value)) return {technology: 'phone', identifier: value};
  return null;
}

// What was typed or scanned: a QR code's content (above), a 16-hex-digit
// FeliCa IDm, or a 4-, 7- or 10-byte Type A UID; null if none of these.
export function parseTyped(text) {
  const qr = parseQr(text);
  if (qr) return qr;
  const value = text.replace(/[\s:-]/g, '').toUpperCase();
  if (/^[0-9A-F]{16}$/.test(value)) return {technology: 'felica', identifier: value};
  if (/^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/.test(value)) {
    return {technology: 'iso14443a', identifier: value};
  }
  return null;
}
