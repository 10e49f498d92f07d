import type { ApprovalService } from '#shared/approvals/approval-service.ts';
import { apiHandler, type ApiHandler } from '#shared/http/api-handler.ts';
import { HttpProblem } from '#shared/http/problem.ts';
import type { Automation, DecisionLog, RateLimiter } from '#shared/automation/types.ts';
import type { FindingSource } from '#shared/findings/index.ts';
import type { Planner } from '#shared/plans/types.ts';
import type { PlaybookRuns } from '#shared/playbooks/types.ts';
import type { ActionService } from '#shared/use-cases/action-service.ts';
import type { ResponderService } from '#shared/use-cases/responders.ts';
import * as approveApproval from './approve-approval.ts';
import * as createAction from './create-action.ts';
import * as createPlaybookRun from './create-playbook-run.ts';
import * as deregisterResponder from './deregister-responder.ts';
import * as evidenceUpload from './evidence-upload.ts';
import * as getAction from './get-action.ts';
import * as getApproval from './get-approval.ts';
import * as getEvidence from './get-evidence.ts';
import * as getPlaybookRun from './get-playbook-run.ts';
import * as listActionTypes from './list-action-types.ts';
import * as listActions from './list-actions.ts';
import * as listAutomationRules from './list-automation-rules.ts';
import * as listEvents from './list-events.ts';
import * as listApprovals from './list-approvals.ts';
import * as listPlaybookRuns from './list-playbook-runs.ts';
import * as listPlaybooks from './list-playbooks.ts';
import * as listResponders from './list-responders.ts';
import * as openApi from './openapi.ts';
import * as postEvent from './post-event.ts';
import * as reexecuteAction from './reexecute-action.ts';
import * as registerResponder from './register-responder.ts';
import * as rejectApproval from './reject-approval.ts';
import * as reportAction from './report-action.ts';
import * as resetAutomationRule from './reset-automation-rule.ts';
import * as responderHeartbeat from './responder-heartbeat.ts';
import * as responderQueueCredentials from './responder-queue-credentials.ts';
import * as undoAction from './undo-action.ts';
import * as undoPlaybookRun from './undo-playbook-run.ts';
import type { TrailAppender } from '#shared/trail/appender.ts';

export interface ApiRouteDeps {
  readonly service: ActionService;
  /** The responder protocol; a runtime without it answers the responder routes with 503. */
  readonly responders?: ResponderService;
  /** Approvals (API.md "Approvals"); a runtime without them answers the approval routes with 503. */
  readonly approvals?: ApprovalService;
  /** Plans (`?dryRun=true` on POST /v1/actions and on an action's undo and reexecute); a runtime without one answers a dry run with 503. */
  readonly planner?: Planner;
  /** Findings in (API.md "Findings in"); a runtime without it answers the event and rule routes with 503. */
  readonly automation?: AutomationRouteDeps;
  /** Playbooks and their runs (API.md "Playbooks"); a runtime without them answers the playbook routes with 503. */
  readonly playbooks?: PlaybookRuns;
  /** The tamper-evident trail (shared/trail): the evidence route appends each download URL it hands out. */
  readonly trail?: TrailAppender | null;
}

/** What the event and automation-rule routes use. */
export interface AutomationRouteDeps {
  readonly automation: Automation;
  readonly decisions: DecisionLog;
  readonly rates: Pick<RateLimiter, 'state' | 'reset'>;
  /** The sources POST /v1/events takes (every source when absent). */
  readonly httpSources?: ReadonlySet<FindingSource>;
}

/** One HTTP route: the same handler module serves it in API Gateway and in the local runtime. */
export interface ApiRoute {
  readonly method: 'GET' | 'POST';
  /** API Gateway route path, `{name}` for path parameters. */
  readonly path: string;
  /** Construct id of its function in the CDK app. */
  readonly id: string;
  /** The handler module, relative to the repository root, for NodejsFunction's entry. */
  readonly entry: string;
  /** Served without the JWT authorizer; only the OpenAPI document (API.md: it needs no token). */
  readonly public?: true;
  /** What the function touches, for its least-privilege grants. */
  readonly needs: readonly (
    | 'history:read'
    | 'history:write'
    /** GetSecretValue on the secret that signs history cursors handed to callers (CURSOR_SECRET_ARN). */
    | 'history:cursors'
    | 'start-work'
    | 'evidence:read'
    /** The per-target work queues (`<prefix>-*`): the actions of the route's use (infra routeQueueUse). */
    | 'responder-queues'
    /** sts:AssumeRole on the ResponderQueueAccess role, with a session policy for one queue. */
    | 'queue-credentials'
    /** states:SendTaskHeartbeat, SendTaskSuccess and SendTaskFailure on the responder state machine. */
    | 'task-callbacks'
    /** Presign PutObject under `actions/*` of the evidence bucket. */
    | 'evidence:upload'
    /** GetSecretValue on the work signing key's secret (WORK_SIGNING_KEY_SECRET_ARN). */
    | 'work-signing-key'
    /** lambda:InvokeFunction on the cloud action family functions, to plan (CLOUD_PLAN_FUNCTIONS). */
    | 'cloud-plans'
    /** sts:AssumeRole on the `<MEMBER_ROLE_NAME>-exemptions` member role only, to read exemption tags. */
    | 'exemptions'
    /** The automation rules file, shipped in the function's bundle (AUTOMATION_RULES names it). */
    | 'automation-rules'
    /** The custom playbooks file, shipped in the function's bundle (PLAYBOOKS names it), and PLAYBOOK_RUN_DEADLINE_SECONDS. */
    | 'playbooks'
    /** states:StartExecution on the playbook-run state machine (PLAYBOOK_STATE_MACHINE_ARN). */
    | 'playbook-runs'
  )[];
  readonly create: (deps: ApiRouteDeps) => ApiHandler;
}

export const apiRoutes: readonly ApiRoute[] = [
  {
    method: 'GET',
    path: '/v1/openapi.json',
    id: 'GetOpenApi',
    entry: 'functions/api/openapi.ts',
    public: true,
    needs: [],
    create: () => openApi.createHandler(),
  },
  {
    method: 'GET',
    path: '/v1/action-types',
    id: 'ListActionTypes',
    entry: 'functions/api/list-action-types.ts',
    needs: [],
    create: () => listActionTypes.createHandler(),
  },
  {
    method: 'POST',
    path: '/v1/actions',
    id: 'CreateAction',
    entry: 'functions/api/create-action.ts',
    needs: ['history:write', 'start-work', 'cloud-plans'],
    create: (deps) => createAction.createHandler(deps),
  },
  {
    method: 'GET',
    path: '/v1/actions',
    id: 'ListActions',
    entry: 'functions/api/list-actions.ts',
    needs: ['history:read', 'history:cursors'],
    create: (deps) => listActions.createHandler(deps),
  },
  {
    method: 'GET',
    path: '/v1/actions/{id}',
    id: 'GetAction',
    entry: 'functions/api/get-action.ts',
    needs: ['history:read'],
    create: (deps) => getAction.createHandler(deps),
  },
  {
    method: 'POST',
    path: '/v1/actions/{id}/undo',
    id: 'UndoAction',
    entry: 'functions/api/undo-action.ts',
    needs: ['history:write', 'start-work', 'cloud-plans'],
    create: (deps) => undoAction.createHandler(deps),
  },
  {
    method: 'POST',
    path: '/v1/actions/{id}/reexecute',
    id: 'ReexecuteAction',
    entry: 'functions/api/reexecute-action.ts',
    needs: ['history:write', 'start-work', 'cloud-plans'],
    create: (deps) => reexecuteAction.createHandler(deps),
  },
  {
    method: 'GET',
    path: '/v1/actions/{id}/evidence',
    id: 'GetEvidence',
    entry: 'functions/api/get-evidence.ts',
    needs: ['history:read', 'evidence:read'],
    create: (deps) => getEvidence.createHandler(deps),
  },
  {
    method: 'GET',
    path: '/v1/approvals',
    id: 'ListApprovals',
    entry: 'functions/api/list-approvals.ts',
    needs: ['history:read', 'history:cursors'],
    create: (deps) => withApprovals(deps, listApprovals.createHandler),
  },
  {
    method: 'GET',
    path: '/v1/approvals/{id}',
    id: 'GetApproval',
    entry: 'functions/api/get-approval.ts',
    needs: ['history:read'],
    create: (deps) => withApprovals(deps, getApproval.createHandler),
  },
  {
    method: 'POST',
    path: '/v1/approvals/{id}/approve',
    id: 'ApproveApproval',
    entry: 'functions/api/approve-approval.ts',
    // Approving a playbook approval creates and starts the run.
    needs: ['history:write', 'start-work', 'playbooks', 'playbook-runs'],
    create: (deps) => withApprovals(deps, approveApproval.createHandler),
  },
  {
    method: 'POST',
    path: '/v1/approvals/{id}/reject',
    id: 'RejectApproval',
    entry: 'functions/api/reject-approval.ts',
    needs: ['history:write'],
    create: (deps) => withApprovals(deps, rejectApproval.createHandler),
  },
  {
    method: 'POST',
    path: '/v1/responders',
    id: 'RegisterResponder',
    entry: 'functions/api/register-responder.ts',
    needs: ['history:write', 'responder-queues', 'work-signing-key'],
    create: (deps) => withResponders(deps, registerResponder.createHandler),
  },
  {
    method: 'GET',
    path: '/v1/responders',
    id: 'ListResponders',
    entry: 'functions/api/list-responders.ts',
    needs: ['history:read'],
    create: (deps) => withResponders(deps, listResponders.createHandler),
  },
  {
    method: 'POST',
    path: '/v1/responders/{kind}/{name}/heartbeat',
    id: 'ResponderHeartbeat',
    entry: 'functions/api/responder-heartbeat.ts',
    needs: ['history:write'],
    create: (deps) => withResponders(deps, responderHeartbeat.createHandler),
  },
  {
    method: 'POST',
    path: '/v1/responders/{kind}/{name}/queue-credentials',
    id: 'ResponderQueueCredentials',
    entry: 'functions/api/responder-queue-credentials.ts',
    needs: ['history:write', 'responder-queues', 'queue-credentials'],
    create: (deps) => withResponders(deps, responderQueueCredentials.createHandler),
  },
  {
    method: 'POST',
    path: '/v1/responders/{kind}/{name}/deregister',
    id: 'DeregisterResponder',
    entry: 'functions/api/deregister-responder.ts',
    needs: ['history:write', 'responder-queues'],
    create: (deps) => withResponders(deps, deregisterResponder.createHandler),
  },
  {
    method: 'POST',
    path: '/v1/actions/{id}/reports',
    id: 'ReportAction',
    entry: 'functions/api/report-action.ts',
    needs: ['history:write', 'task-callbacks'],
    create: (deps) => withResponders(deps, reportAction.createHandler),
  },
  {
    method: 'POST',
    path: '/v1/actions/{id}/evidence-uploads',
    id: 'EvidenceUpload',
    entry: 'functions/api/evidence-upload.ts',
    needs: ['history:read', 'evidence:upload'],
    create: (deps) => withResponders(deps, evidenceUpload.createHandler),
  },
  {
    method: 'POST',
    path: '/v1/events',
    id: 'PostEvent',
    entry: 'functions/api/post-event.ts',
    needs: ['history:read', 'history:write', 'start-work', 'cloud-plans', 'exemptions', 'automation-rules', 'playbook-runs'],
    create: (deps) =>
      withAutomation(deps, (automation) =>
        postEvent.createHandler({ automation: automation.automation, ...(automation.httpSources === undefined ? {} : { httpSources: automation.httpSources }) }),
      ),
  },
  {
    method: 'GET',
    path: '/v1/events',
    id: 'ListEvents',
    entry: 'functions/api/list-events.ts',
    needs: ['history:read', 'history:cursors'],
    create: (deps) => withAutomation(deps, (automation) => listEvents.createHandler({ decisions: automation.decisions })),
  },
  {
    method: 'GET',
    path: '/v1/automation-rules',
    id: 'ListAutomationRules',
    entry: 'functions/api/list-automation-rules.ts',
    needs: ['history:read', 'automation-rules'],
    create: (deps) => withAutomation(deps, (automation) => listAutomationRules.createHandler(automation)),
  },
  {
    method: 'POST',
    path: '/v1/automation-rules/{id}/reset',
    id: 'ResetAutomationRule',
    entry: 'functions/api/reset-automation-rule.ts',
    needs: ['history:read', 'history:write', 'automation-rules'],
    create: (deps) => withAutomation(deps, (automation) => resetAutomationRule.createHandler(automation)),
  },
  {
    method: 'GET',
    path: '/v1/playbooks',
    id: 'ListPlaybooks',
    entry: 'functions/api/list-playbooks.ts',
    needs: ['playbooks'],
    create: (deps) => withPlaybooks(deps, listPlaybooks.createHandler),
  },
  {
    method: 'POST',
    path: '/v1/playbooks/{name}/runs',
    id: 'CreatePlaybookRun',
    entry: 'functions/api/create-playbook-run.ts',
    // Plans for dryRun=true and for an approval to show; the run's execution creates the steps' actions.
    needs: ['history:read', 'history:write', 'playbooks', 'playbook-runs', 'cloud-plans'],
    create: (deps) => withPlaybooks(deps, createPlaybookRun.createHandler),
  },
  {
    method: 'GET',
    path: '/v1/playbook-runs',
    id: 'ListPlaybookRuns',
    entry: 'functions/api/list-playbook-runs.ts',
    needs: ['history:read', 'history:cursors', 'playbooks'],
    create: (deps) => withPlaybooks(deps, listPlaybookRuns.createHandler),
  },
  {
    method: 'GET',
    path: '/v1/playbook-runs/{id}',
    id: 'GetPlaybookRun',
    entry: 'functions/api/get-playbook-run.ts',
    needs: ['history:read', 'playbooks'],
    create: (deps) => withPlaybooks(deps, getPlaybookRun.createHandler),
  },
  {
    method: 'POST',
    path: '/v1/playbook-runs/{id}/undo',
    id: 'UndoPlaybookRun',
    entry: 'functions/api/undo-playbook-run.ts',
    needs: ['history:read', 'history:write', 'playbooks', 'playbook-runs', 'cloud-plans'],
    create: (deps) => withPlaybooks(deps, undoPlaybookRun.createHandler),
  },
];

/** A playbook route's handler, or one answering 503 where this runtime runs no playbooks. */
function withPlaybooks(deps: ApiRouteDeps, create: (deps: { playbooks: PlaybookRuns }) => ApiHandler): ApiHandler {
  return servedOr503(deps.playbooks, (playbooks) => create({ playbooks }), 'this runtime runs no playbooks');
}

/** An approval route's handler, or one answering 503 where this runtime serves no approvals. */
function withApprovals(deps: ApiRouteDeps, create: (deps: { approvals: ApprovalService }) => ApiHandler): ApiHandler {
  return servedOr503(deps.approvals, (approvals) => create({ approvals }), 'this runtime serves no approvals');
}

/** A responder route's handler, or one answering 503 where this runtime serves no responders. */
function withResponders(deps: ApiRouteDeps, create: (deps: { responders: ResponderService }) => ApiHandler): ApiHandler {
  return servedOr503(deps.responders, (responders) => create({ responders }), 'this runtime serves no responders');
}

/** An automation route's handler, or one answering 503 where this runtime takes no findings. */
function withAutomation(deps: ApiRouteDeps, create: (automation: AutomationRouteDeps) => ApiHandler): ApiHandler {
  return servedOr503(deps.automation, create, 'this runtime takes no findings');
}

/** The handler built from `part`, or, where this runtime lacks it, one answering 503 with `detail`. */
function servedOr503<Part>(part: Part | undefined, create: (part: Part) => ApiHandler, detail: string): ApiHandler {
  if (part !== undefined) return create(part);
  return apiHandler(() => Promise.reject(new HttpProblem(503, 'Service Unavailable', detail)), { body: 'none' });
}
