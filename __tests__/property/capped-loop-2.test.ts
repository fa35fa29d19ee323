import { cappedLoopProperty } from './capped-loop-property.js';

cappedLoopProperty(251, 500);
