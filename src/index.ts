export { startBroker, VERSION, type RunningBroker } from './broker.js';
export { defaultConfig, type BrokerConfig } from './config/config.js';
