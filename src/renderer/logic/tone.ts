/** Colour families the stylesheet knows (`tone-<name>` classes). */
export type Tone = 'neutral' | 'info' | 'ringing' | 'ok' | 'warn' | 'danger' | 'muted';
