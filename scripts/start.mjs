// `npm start`: the Electron console with the embedded demo. Where no Electron binary is
// installed (ELECTRON_SKIP_BINARY_DOWNLOAD=1, as on the build machines) it says so and
// opens the same console through the headless host in a browser instead.
import { spawnSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', shell: false });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run('npm', ['run', '--silent', 'build']);

let electronPath = null;
try {
  electronPath = createRequire(import.meta.url)('electron');
} catch {
  electronPath = null;
}
if (typeof electronPath === 'string') {
  // The demo is a developer's choice, never a machine's default: the app runs it only when asked.
  const child = spawn(electronPath, ['.'], { stdio: 'inherit', env: { ...process.env, TANDEM_DEMO: '1' } });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log('No Electron binary is installed here (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1).');
  console.log('Starting the same console through the headless host instead; open the URLs below in a browser.');
  const child = spawn('npx', ['tsx', 'src/launch/web.ts', ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
}
