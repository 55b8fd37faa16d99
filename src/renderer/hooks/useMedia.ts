import { useEffect, useState } from 'react';

/** Whether a CSS media query matches now, following the window as it is resized or moved. */
export function useMediaQuery(query: string): boolean {
  const get = () => typeof window !== 'undefined' && typeof window.matchMedia === 'function' && window.matchMedia(query).matches;
  const [matches, setMatches] = useState(get);
  useEffect(() => {
    if (typeof window.matchMedia !== 'function') return;
    const m = window.matchMedia(query);
    const on = () => setMatches(m.matches);
    on();
    m.addEventListener('change', on);
    return () => m.removeEventListener('change', on);
  }, [query]);
  return matches;
}

/** The height of the sticky top bar (status, banners, a ringing call), kept current. */
export function useTopBarHeight(): number {
  const [h, setH] = useState(0);
  useEffect(() => {
    const el = document.querySelector('.top');
    if (!el || typeof ResizeObserver !== 'function') return;
    const ro = new ResizeObserver(() => setH(el.getBoundingClientRect().height));
    ro.observe(el);
    setH(el.getBoundingClientRect().height);
    return () => ro.disconnect();
  }, []);
  return h;
}
