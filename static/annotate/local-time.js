// Times in the viewer's own time zone. The server writes each as a <time data-local>
// (the local_time tag of annotate/templatetags/annotate_display.py) naming the instant
// in UTC and showing it in UTC, the zone named: "5 March 2025, 14:30 UTC". Here its text
// becomes the same instant in the browser's zone, in the same shape, with that zone's
// short name as the browser's language gives it: "5 March 2025, 09:30 EST" (the UTC text
// is kept as its title). Without this script the UTC text stands, which is still right.
// Content htmx swaps in (a job's progress, the members' invites) is rewritten too.
(() => {
  const SHAPES = {
    datetime: { day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit" },
    time: { hour: "2-digit", minute: "2-digit" },
  };

  function parts(date, options) {
    const found = {};
    for (const part of new Intl.DateTimeFormat("en-GB", { ...options, hourCycle: "h23" }).formatToParts(date)) {
      found[part.type] = part.value;
    }
    return found;
  }

  function zoneName(date) {
    const zone = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" })
      .formatToParts(date)
      .find((part) => part.type === "timeZoneName");
    return zone ? zone.value : Intl.DateTimeFormat().resolvedOptions().timeZone;
  }

  function localText(date, shape) {
    const at = parts(date, SHAPES[shape] || SHAPES.datetime);
    const time = `${at.hour}:${at.minute}`;
    const text = shape === "time" ? time : `${at.day} ${at.month} ${at.year}, ${time}`;
    return `${text} ${zoneName(date)}`;
  }

  function localise(root) {
    const times = [...root.querySelectorAll("time[data-local]")];
    if (root.matches?.("time[data-local]")) times.push(root);
    for (const element of times) {
      const date = new Date(element.dateTime);
      if (Number.isNaN(date.getTime())) continue;
      if (!element.title) element.title = element.textContent;
      element.textContent = localText(date, element.dataset.local);
    }
  }

  localise(document);
  document.addEventListener("htmx:load", (event) => localise(event.target));
})();
