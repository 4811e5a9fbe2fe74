// Message move tasks (StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask):
// moving messages out of a dead-letter queue, back to the queue each came from
// (DeadLetterQueueSourceArn) or to a given destination, optionally at a set rate.
// Tasks live in memory: after a restart the list is empty and a task in progress stops (the
// messages it has not moved yet stay in the dead-letter queue, none is lost or doubled, since
// each move is one transaction).
import crypto from 'node:crypto';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { ListMessageMoveTasksResultEntry } from '../../generated/sqs.js';
import type { Queue, QueueEngine } from './engine.js';

/** Messages per step when no rate is set; each step is one transaction. */
const STEP = 100;

interface Task {
  handle: string;
  sourceArn: string;
  destinationArn?: string;
  rate?: number;
  status: 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
  moved: number;
  toMove: number;
  startedAt: number;
  failureReason?: string;
  timer?: TimerHandle;
}

export class MoveTasks {
  private readonly tasks: Task[] = [];

  constructor(
    private readonly engine: QueueEngine,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  running(sourceArn: string): boolean {
    return this.tasks.some((t) => t.sourceArn === sourceArn && t.status === 'RUNNING');
  }

  start(source: Queue, destination: Queue | undefined, rate: number | undefined): string {
    const c = this.engine.counts(source);
    const task: Task = {
      handle: Buffer.from(JSON.stringify({ taskId: crypto.randomUUID(), sourceArn: source.arn })).toString('base64'),
      sourceArn: source.arn,
      destinationArn: destination?.arn,
      rate,
      status: 'RUNNING',
      moved: 0,
      toMove: c.visible,
      startedAt: this.clock.now(),
    };
    this.tasks.push(task);
    // ListMessageMoveTasks shows at most the 10 most recent tasks of a source: older ones go.
    const ofSource = this.tasks.filter((t) => t.sourceArn === source.arn);
    for (const old of ofSource.slice(0, Math.max(0, ofSource.length - 10))) this.tasks.splice(this.tasks.indexOf(old), 1);
    this.schedule(task, 0);
    return task.handle;
  }

  private schedule(task: Task, ms: number): void {
    task.timer = this.clock.setTimeout(() => this.step(task), ms);
  }

  private step(task: Task): void {
    if (task.status !== 'RUNNING') return;
    try {
      const source = this.engine.getQueueByArn(task.sourceArn);
      if (!source) return this.finish(task, 'FAILED', 'AWS.SimpleQueueService.NonExistentQueue');
      const destination = task.destinationArn ? this.engine.getQueueByArn(task.destinationArn) : undefined;
      if (task.destinationArn && !destination) return this.finish(task, 'FAILED', 'AWS.SimpleQueueService.NonExistentQueue');
      const want = Math.min(task.rate ?? STEP, task.toMove - task.moved);
      const moved = want > 0 ? this.engine.moveVisible(source, want, (m) => destination ?? (m.dlq_source_arn ? this.engine.getQueueByArn(m.dlq_source_arn) : undefined)) : 0;
      task.moved += moved;
      if (moved === 0 || task.moved >= task.toMove) return this.finish(task, 'COMPLETED');
      this.schedule(task, task.rate ? 1000 : 0);
    } catch (e) {
      this.log.error('sqs: message move task failed', e);
      this.finish(task, 'FAILED', 'InternalError');
    }
  }

  private finish(task: Task, status: Task['status'], reason?: string): void {
    task.status = status;
    task.failureReason = reason;
    task.timer?.cancel();
  }

  /** Messages moved so far; undefined when no such task; 'not-running' when it already ended. */
  cancel(handle: string): number | undefined | 'not-running' {
    const task = this.tasks.find((t) => t.handle === handle);
    if (!task) return undefined;
    if (task.status !== 'RUNNING') return 'not-running';
    this.finish(task, 'CANCELLED');
    return task.moved;
  }

  cancelFor(sourceArn: string): void {
    for (const t of this.tasks) if (t.sourceArn === sourceArn && t.status === 'RUNNING') this.finish(t, 'CANCELLED');
  }

  /** Most recent first, as AWS lists them. */
  list(sourceArn: string, max: number): ListMessageMoveTasksResultEntry[] {
    return this.tasks
      .filter((t) => t.sourceArn === sourceArn)
      .reverse()
      .slice(0, max)
      .map((t) => {
        const e: ListMessageMoveTasksResultEntry = {
          Status: t.status,
          SourceArn: t.sourceArn,
          ApproximateNumberOfMessagesMoved: t.moved,
          ApproximateNumberOfMessagesToMove: t.toMove,
          StartedTimestamp: t.startedAt,
        };
        if (t.status === 'RUNNING') e.TaskHandle = t.handle;
        if (t.destinationArn) e.DestinationArn = t.destinationArn;
        if (t.rate !== undefined) e.MaxNumberOfMessagesPerSecond = t.rate;
        if (t.failureReason) e.FailureReason = t.failureReason;
        return e;
      });
  }

  close(): void {
    for (const t of this.tasks) t.timer?.cancel();
  }
}
