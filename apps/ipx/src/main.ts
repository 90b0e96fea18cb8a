import { runIpxApp } from './bootstrap/run-ipx-app';

void runIpxApp();
