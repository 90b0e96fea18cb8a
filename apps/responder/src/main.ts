import { runSeppApp } from '@sepp/server';
import { responderApp } from './responder-app';

void runSeppApp(responderApp);
