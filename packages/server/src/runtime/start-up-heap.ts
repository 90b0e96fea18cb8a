// Imported first by each app's main, before any other module loads (heap-policy.ts).
import { holdYoungGenerationDuringStartUp } from './heap-policy';

holdYoungGenerationDuringStartUp();
