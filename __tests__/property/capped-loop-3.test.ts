import { cappedLoopProperty } from './capped-loop-property.js';

cappedLoopProperty(501, 750);
