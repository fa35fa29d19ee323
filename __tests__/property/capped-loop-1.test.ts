import { cappedLoopProperty } from './capped-loop-property.js';

cappedLoopProperty(1, 250);
