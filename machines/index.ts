/** Pure machine definitions, for the runtime and for the Stately visualizer. */
export {
  defaultSagaTimeouts,
  EndReason,
  loginSagaMachine,
  type LoginSagaContext,
  type LoginSagaEvent,
  type LoginSagaInput,
  type LoginSagaOutput,
  type SagaFailure,
  type SagaTimeouts,
} from "./login-saga.ts";
