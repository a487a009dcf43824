// Requests that move points are kept in IndexedDB until the server has
// answered, so a reload or a crash neither loses nor doubles them: they are
// sent again with the same idempotency key.

const DB = 'hirakata-terminal';
const STORE = 'pending';

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () =>
      request.result.createObjectStore(STORE, {keyPath: 'key'});
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, action) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, mode);
    const request = action(transaction.objectStore(STORE));
    transaction.oncomplete = () => { db.close(); resolve(request.result); };
    transaction.onerror = () => { db.close(); reject(transaction.error); };
  });
}

export const keep = (item) => run('readwrite', (store) => store.put(item));
export const forget = (key) => run('readwrite', (store) => store.delete(key));
export const all = () => run('readonly', (store) => store.getAll());
