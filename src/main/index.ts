// Electron entry (out/main/index.js). The web entry without Electron is server.ts.
import { runElectronApp } from './app/main';

runElectronApp();
