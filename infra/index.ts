export {
  buildFabricApp,
  type CfnTemplate,
  DEFAULT_BUILD_DIR,
  type FabricApp,
  type FabricAppOptions,
  type FabricResourceSummary,
  type FabricSynthResult,
  synthFabricApp,
} from "./app.ts";
export { DurableFabric, type DurableFabricProps, visibilityTimeoutFor } from "./durable-fabric.ts";
export { FabricConfigError, InfraError, type InfraErrorCode, MissingBundleError } from "./errors.ts";
export { type FabricNames, fabricNames } from "./names.ts";
export { FABRIC_OUTPUTS, type FabricOutputKey, type FabricOutputValues } from "./outputs.ts";
