// Formatting for the dashboard: money with its currency, times in the reader's
// locale, "3 min ago", and a tiny DOM builder that only ever sets text (never
// innerHTML), so a comment or an error from the journal cannot inject markup.
(function (ns) {
  "use strict";

  // "104,065.75 USD", as MetaTrader shows money: the amount, then the account's currency.
  function money(value, currency) {
    if (value === null || value === undefined || value === "") return "—";
    const amount = new Intl.NumberFormat(undefined, {
      minimumFractionDigits: 2, maximumFractionDigits: 2,
    }).format(Number(value));
    return currency ? `${amount} ${currency}` : amount;
  }

  function signedMoney(value, currency) {
    const text = money(value, currency);
    return Number(value) > 0 ? `+${text}` : text;
  }

  function number(value, digits) {
    if (value === null || value === undefined || value === "") return "—";
    const options = digits === undefined ? { maximumFractionDigits: 8 }
      : { minimumFractionDigits: digits, maximumFractionDigits: digits };
    return new Intl.NumberFormat(undefined, options).format(Number(value));
  }

  function dateTime(value) {
    if (!value) return "—";
    return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" })
      .format(new Date(value));
  }

  function shortDate(value) {
    return new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" })
      .format(new Date(value));
  }

  // "just now", "3 min ago", "5 h ago", "2 d ago" from a count of minutes.
  function minutesAgo(minutes) {
    if (minutes === null || minutes === undefined) return "never";
    const m = Math.max(0, Math.floor(Number(minutes)));
    if (m < 1) return "just now";
    if (m < 60) return `${m} min ago`;
    if (m < 48 * 60) return `${Math.floor(m / 60)} h ago`;
    return `${Math.floor(m / 1440)} d ago`;
  }

  function duration(ms) {
    if (ms === null || ms === undefined) return "—";
    return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
  }

  function plural(n, one, many) {
    return `${number(n, 0)} ${Number(n) === 1 ? one : (many || `${one}s`)}`;
  }

  // el("td", {class: "num"}, "text", childNode, ...) -> an element.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "dataset") Object.assign(node.dataset, value);
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  ns.format = { money, signedMoney, number, dateTime, shortDate, minutesAgo, duration, plural };
  ns.el = el;
})(window.Mt5Dashboard = window.Mt5Dashboard || {});
