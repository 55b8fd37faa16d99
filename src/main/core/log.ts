/** Where the core reports what a person (IT, a developer) may need to read later. */
export type CoreLog = (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void;

/** Warnings and errors to the console (silent under Vitest). */
export const defaultCoreLog: CoreLog = (level, message, detail) => {
  if (process.env.VITEST || level === 'info') return;
  (level === 'error' ? console.error : console.warn)(`tandem core: ${message}`, detail ?? '');
};
