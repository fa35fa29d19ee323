import { cappedLoopProperty } from './capped-loop-property.js';

cappedLoopProperty(751, 1000);
