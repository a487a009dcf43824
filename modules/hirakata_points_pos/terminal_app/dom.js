// Building the screens: elements from plain data, text always as text.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, value);
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

// Replace the main area with a screen and move the focus to its heading,
// so a screen reader announces it.
export function show(...children) {
  const main = document.getElementById('main');
  main.replaceChildren(...children.flat().filter(
    (child) => child !== null && child !== undefined && child !== false));
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
  const input = main.querySelector('input[autofocus]');
  if (input) input.focus();
}

export const yen = (value) => `${Number(value).toLocaleString('ja-JP')}円`;
export const points = (value) =>
  `${Number(value).toLocaleString('ja-JP')}ポイント`;
