/** Models: the card, its sha256 checks, ONNX Runtime sessions (CUDA then CPU) and parity checks. */
export { CardSchema, defaultModelDir, describeModel, loadCard, sha256OfFile, verifyModelFiles, type ModelCard, type SessionSpec } from './card';
export { ModelError, isModelError, type ModelErrorCode } from './errors';
export { ModelRuntime, sharedRuntime, cudaUnavailableReason, type AudioFeatures, type DeviceRequest, type Provider, type RuntimeOptions } from './runtime';
export { checkParity, parseTensors, type ParityReport, type ParityResult, type StoredTensor } from './parity';
