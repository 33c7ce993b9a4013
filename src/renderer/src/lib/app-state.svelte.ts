/**
 * App-wide state for the renderer. The database in main is the source of truth; this only holds
 * what is on screen and reloads it from main after every change.
 */
import type { ProjectSummary, ProjectView } from '../../../shared/contract';
import { client } from './client';
import { finished, type JobProgress } from './jobs';

export type { JobProgress };

class AppState {
  project = $state<ProjectView | null>(null);
  recent = $state<ProjectSummary[]>([]);
  busy = $state<string | null>(null);
  error = $state<string | null>(null);
  pickerOpen = $state(false);
  /** Shown at the top of the picker (why it opened), cleared when it closes. */
  pickerNote = $state<string | null>(null);
  nativeDialogs = $state(false);
  transport = $state<'ipc' | 'web'>('web');
  /** The link to main is down (the web server stopped): nothing can be played or saved. */
  offline = $state(false);
  /** Background jobs seen since start, by id; finished ones drop out after a moment. */
  jobs = $state<Record<string, JobProgress>>({});

  async init(): Promise<void> {
    const c = client();
    this.transport = c.transport;
    c.onConnection((up) => (this.offline = !up));
    c.on('project.opened', ({ project }) => this.show(project));
    c.on('job.progress', (job) => this.trackJob(job));
    c.on('menu.command', ({ command }) => {
      if (command === 'close-project') void this.close();
      if (command === 'open-media') void this.openMedia();
      if (command === 'open-demo') void this.openDemo();
    });
    try {
      const info = await c.call('app.info', {});
      this.nativeDialogs = info.nativeDialogs;
    } catch (err) {
      this.fail(err);
    }
    await this.refreshRecent();
  }

  private trackJob(job: JobProgress): void {
    this.jobs[job.jobId] = job;
    if (job.state === 'failed' && job.error) this.error = job.error;
    if (finished(job)) setTimeout(() => this.forget(job), 4000);
  }

  /** Finished jobs drop out; the parts of one action only together, once all have finished. */
  private forget(job: JobProgress): void {
    const action = job.action?.id;
    const parts = action ? Object.values(this.jobs).filter((j) => j.action?.id === action) : [job];
    if (parts.some((j) => !finished(j))) return; // the last part to finish forgets them all
    for (const j of parts) delete this.jobs[j.jobId];
  }

  async cancelJob(jobId: string): Promise<void> {
    try {
      await client().call('jobs.cancel', { jobId });
    } catch (err) {
      this.fail(err);
    }
  }

  fail(err: unknown): void {
    this.error = err instanceof Error ? err.message : String(err);
  }

  /** Runs `work`; a failure goes to the banner, or only back to the caller (a dialog shows it). */
  private async run(label: string, work: () => Promise<void>, banner = true): Promise<string | null> {
    this.busy = label;
    this.error = null;
    try {
      await work();
      return null;
    } catch (err) {
      if (banner) this.fail(err);
      return err instanceof Error ? err.message : String(err);
    } finally {
      this.busy = null;
    }
  }

  private show(project: ProjectView): void {
    this.project = project;
    this.pickerOpen = false;
    void this.refreshRecent();
  }

  async refreshRecent(): Promise<void> {
    try {
      this.recent = await client().call('projects.recent', { limit: 20 });
    } catch (err) {
      this.fail(err);
    }
  }

  /** "Open media…": the native dialog in the desktop app, the server-side picker in a browser. */
  async openMedia(): Promise<void> {
    if (!this.nativeDialogs) {
      this.pickerNote = null;
      this.pickerOpen = true;
      return;
    }
    await this.run('Opening…', async () => {
      const project = await client().call('media.openDialog', {});
      if (project) this.show(project);
    });
  }

  /**
   * Opens a file by path. From the picker the error is returned for the picker to show: the
   * banner would sit behind its veil.
   */
  async openPath(path: string): Promise<string | null> {
    return this.run('Opening…', async () => this.show(await client().call('media.open', { path })), !this.pickerOpen);
  }

  /** The bundled demo clip: the whole flow with no file of one's own. */
  async openDemo(): Promise<void> {
    await this.run('Opening the demo…', async () => this.show(await client().call('demo.open', {})));
  }

  async openProject(projectId: number): Promise<void> {
    await this.run('Opening…', async () => this.show(await client().call('projects.open', { projectId })));
  }

  async removeProject(projectId: number): Promise<void> {
    await this.run('Removing…', async () => {
      await client().call('projects.remove', { projectId });
      await this.refreshRecent();
    });
  }

  async close(): Promise<void> {
    this.project = null;
    await this.refreshRecent();
  }

  /** Files dropped on the window: only the desktop app can tell main where they are. */
  async openDropped(files: FileList | null | undefined): Promise<void> {
    const file = files?.[0];
    if (!file) return;
    const path = client().pathForFile(file);
    if (!path) {
      // The note goes into the picker: a banner would sit behind its veil.
      this.pickerNote = `A browser does not tell Stemsight where ${file.name} is stored: find it here, or type its full path.`;
      this.pickerOpen = true;
      return;
    }
    await this.openPath(path);
  }
}

export const appState = new AppState();
