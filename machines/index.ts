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
export {
  challengeMachine,
  ChallengeOutcome,
  DEFAULT_CHALLENGE_EXPIRY_MS,
  DEFAULT_MAX_ROUNDS,
  type ChallengeContext,
  type ChallengeEvent,
  type ChallengeInput,
  type ChallengeOutput,
  type ChallengeState,
} from "./challenge.ts";
export {
  defaultRestartPolicy,
  sessionSupervisorMachine,
  type RestartPolicy,
  type SessionSupervisorContext,
  type SessionSupervisorEvent,
  type SessionSupervisorInput,
  type SessionSupervisorOutput,
  type SessionSupervisorState,
} from "./session-supervisor.ts";
