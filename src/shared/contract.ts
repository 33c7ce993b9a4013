/**
 * The one API contract between the renderer and main. Both transports (Electron IPC through the
 * preload, and the loopback web server) carry exactly these requests and events; main validates
 * every payload against these schemas before anything else runs.
 *
 * To grow the API, add an entry to `requests` (and to `events` for pushed messages) and implement
 * it in src/main/api.ts; the transports, the preload whitelist and the renderer client pick it up.
 */
import * as v from 'valibot';
import type { EventName, RequestName } from './channels';
import { EXPORT_TARGETS, includeKey, type ExportTargetSettings } from './export-targets';
import { MAX_GAIN_DB, MIN_GAIN_DB, MONITORS, WAV_FORMATS } from './mixer';
import { SOURCE_CLASSES } from './classes';
import { MAX_STRENGTH, MIN_STRENGTH } from './stem-edit';

export * from './channels';
export * from './mixer';
export * from './classes';

// ---- building blocks -------------------------------------------------------------------------

/** Database ids are SQLite integer primary keys. */
export const Id = v.pipe(v.number(), v.safeInteger(), v.minValue(1));

/** A filesystem path as typed or picked by the user. Main resolves and checks it; never trusted. */
export const PathString = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(4096),
  v.check((s) => !s.includes('\0'), 'Path contains a NUL byte.'),
);

const Seconds = v.pipe(v.number(), v.finite(), v.minValue(0));
/** Jobs are identified by UUIDs (they exist before their database row is final). */
export const JobId = v.pipe(v.string(), v.regex(/^[0-9a-f-]{8,64}$/i));
export const JobState = v.picklist(['queued', 'running', 'done', 'failed', 'cancelled']);
const Name = v.pipe(v.string(), v.maxLength(512));
const IsoTime = v.pipe(v.string(), v.maxLength(64));

export const MediaInfo = v.object({
  id: Id,
  fileName: Name,
  durationSec: Seconds,
  hasVideo: v.boolean(),
  hasAudio: v.boolean(),
  width: v.nullable(v.number()),
  height: v.nullable(v.number()),
  fps: v.nullable(v.number()),
  sampleRate: v.nullable(v.number()),
  channels: v.nullable(v.number()),
  /** False when the file moved or was deleted since the project was made. */
  available: v.boolean(),
});
export type MediaInfo = v.InferOutput<typeof MediaInfo>;

export const ProjectView = v.object({
  id: Id,
  name: Name,
  createdAt: IsoTime,
  updatedAt: IsoTime,
  media: MediaInfo,
});
export type ProjectView = v.InferOutput<typeof ProjectView>;

export const ProjectSummary = v.object({
  id: Id,
  name: Name,
  mediaFileName: Name,
  durationSec: Seconds,
  updatedAt: IsoTime,
  available: v.boolean(),
});
export type ProjectSummary = v.InferOutput<typeof ProjectSummary>;

export const Peaks = v.object({
  mediaId: Id,
  peaksPerSecond: v.number(),
  durationSec: Seconds,
  /** One array per channel, absolute peak per bin in [0, 1]. */
  channels: v.array(v.array(v.number())),
});
export type Peaks = v.InferOutput<typeof Peaks>;

export const FileEntry = v.object({
  name: Name,
  path: PathString,
  kind: v.picklist(['dir', 'media']),
});
export type FileEntry = v.InferOutput<typeof FileEntry>;

export const FileListing = v.object({
  /** The folder listed, or null for the list of allowed roots. */
  dir: v.nullable(PathString),
  parent: v.nullable(PathString),
  entries: v.array(FileEntry),
});
export type FileListing = v.InferOutput<typeof FileListing>;

export const AppInfo = v.object({
  name: v.string(),
  version: v.string(),
  transport: v.picklist(['ipc', 'web']),
  platform: v.string(),
  /** True where main can show a native open dialog (Electron); the web UI uses files.list. */
  nativeDialogs: v.boolean(),
});
export type AppInfo = v.InferOutput<typeof AppInfo>;

// ---- editor ----------------------------------------------------------------------------------

const Unit = v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1));
const GainDb = v.pipe(v.number(), v.finite(), v.minValue(MIN_GAIN_DB), v.maxValue(MAX_GAIN_DB));
const Pan = v.pipe(v.number(), v.finite(), v.minValue(-1), v.maxValue(1));
const Strength = v.pipe(v.number(), v.finite(), v.minValue(MIN_STRENGTH), v.maxValue(MAX_STRENGTH));
const Colour = v.pipe(v.string(), v.regex(/^#[0-9a-f]{6}$/i));
/** Key of an audio file main serves by key (stems and the decoded original), never a path. */
export const AudioKey = v.pipe(v.string(), v.regex(/^(stem|original)-[1-9]\d{0,15}$/));

export const SourceView = v.object({
  id: Id,
  index: v.number(),
  name: Name,
  colour: Colour,
  /** The click point, all three or none (a source asked for by name alone has none). */
  x: v.nullable(Unit),
  y: v.nullable(Unit),
  timeSec: v.nullable(Seconds),
  /** What the source is; null when only its point says. */
  className: v.nullable(v.picklist(SOURCE_CLASSES)),
  /** How much of the rest of the mix its stem keeps out (shared/stem-edit.ts). */
  strength: Strength,
  /** Time ranges moved out of its stem, to another source (its id) or the residual (null). */
  moves: v.array(v.object({ startSec: Seconds, endSec: Seconds, to: v.nullable(Id) })),
});
export type SourceView = v.InferOutput<typeof SourceView>;

export const MixerChannelView = v.object({
  id: Id,
  role: v.picklist(['source', 'residual', 'original']),
  sourceId: v.nullable(Id),
  gainDb: GainDb,
  pan: Pan,
  mute: v.boolean(),
  solo: v.boolean(),
});
export type MixerChannelView = v.InferOutput<typeof MixerChannelView>;

export const StemView = v.object({
  id: Id,
  kind: v.picklist(['source', 'residual']),
  sourceId: v.nullable(Id),
  audioKey: AudioKey,
  sampleRate: v.number(),
  channels: v.number(),
  frames: v.number(),
  /** Offset of the first frame in the media (previews cover a region). */
  startSec: Seconds,
  preview: v.boolean(),
  available: v.boolean(),
  /** Where the source sounds: one 0..1 score per analysed frame, from activityStartSec at activityFps. */
  activity: v.nullable(v.object({ fps: v.number(), startSec: Seconds, values: v.array(v.number()) })),
});
export type StemView = v.InferOutput<typeof StemView>;

/** One on/off setting per export target (src/shared/export-targets.ts): includeStems, includeMix... */
const ExportTargetFlags = Object.fromEntries(EXPORT_TARGETS.map((t) => [includeKey(t.id), v.boolean()])) as {
  [K in keyof ExportTargetSettings]: v.BooleanSchema<undefined>;
};

export const ExportSettingsView = v.object({
  format: v.picklist(WAV_FORMATS),
  sampleRate: v.nullable(v.picklist([44100, 48000])),
  namingTemplate: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  folder: v.nullable(PathString),
  ...ExportTargetFlags,
});
export type ExportSettingsView = v.InferOutput<typeof ExportSettingsView>;

/** What a media's picture is: decided by the app ('auto'), the synthetic world, or real footage. */
export const SCENE_SETTINGS = ['auto', 'synthetic', 'real'] as const;
export const SceneSetting = v.picklist(SCENE_SETTINGS);
export type SceneSetting = v.InferOutput<typeof SceneSetting>;

export const SceneView = v.object({
  setting: SceneSetting,
  /** What the analysis took the picture for; null until an analysis for this setting finished. */
  kind: v.nullable(v.picklist(['synthetic', 'real'])),
  /** On 'auto': what the decision rests on, in words for the user; null otherwise. */
  reason: v.nullable(Name),
});
export type SceneView = v.InferOutput<typeof SceneView>;

export const EditorState = v.object({
  projectId: Id,
  sources: v.array(SourceView),
  channels: v.array(MixerChannelView),
  monitor: v.picklist(MONITORS),
  stems: v.array(StemView),
  /**
   * True when no separation was made for exactly the current sources (one was added, moved or
   * removed since, or an undo changed them): the stems shown are stale and a separation is due.
   * Export waits for it.
   */
  stemsStale: v.boolean(),
  /**
   * While stale after a source was removed: the removed sources' stems, which the residual track
   * plays with the residual (the residual is the original minus the remaining stems).
   */
  residualParts: v.array(StemView),
  history: v.object({ canUndo: v.boolean(), canRedo: v.boolean(), undoLabel: v.nullable(Name), redoLabel: v.nullable(Name) }),
  exportSettings: ExportSettingsView,
  /** Folder the export dialog suggests (last used, else the media's folder). */
  suggestedFolder: v.nullable(PathString),
  analysis: v.picklist(['none', 'running', 'ready', 'failed']),
  scene: SceneView,
});
export type EditorState = v.InferOutput<typeof EditorState>;

export const Heatmaps = v.object({
  grid: v.tuple([v.number(), v.number()]),
  fps: v.number(),
  /** Index of the first frame returned. */
  firstFrame: v.number(),
  frameCount: v.number(),
  totalFrames: v.number(),
  /** frameCount * rows * cols bytes (0..255 = 0..1), row-major from the top-left, base64. */
  data: v.string(),
});
export type Heatmaps = v.InferOutput<typeof Heatmaps>;

const Box = v.tuple([Unit, Unit, Unit, Unit]);

/** One detected face, person or hand followed over time (real footage). */
export const DetectionTrack = v.object({
  track: v.number(),
  kind: v.picklist(['face', 'person', 'hand']),
  /** Seconds of each sighting, and the box then: [x0, y0, x1, y1], 0..1 of the original frame from its top-left. */
  times: v.array(v.number()),
  boxes: v.array(Box),
  /** Faces: how far the mouth moves with the speech heard, 0..1, at each sighting. */
  speaking: v.nullable(v.array(v.number())),
});
export type DetectionTrack = v.InferOutput<typeof DetectionTrack>;

export const DetectionsView = v.object({
  /** Sightings per second analysed (faces; people and hands less often). */
  fps: v.number(),
  tracks: v.array(DetectionTrack),
});
export type DetectionsView = v.InferOutput<typeof DetectionsView>;

/** BS.1770 loudness of the whole remix; null where the mix is silent (below the -70 LUFS gate). */
export const MixLoudness = v.object({
  integratedLufs: v.nullable(v.number()),
  momentaryMaxLufs: v.nullable(v.number()),
  shortTermMaxLufs: v.nullable(v.number()),
  samplePeakDb: v.nullable(v.number()),
  durationSec: Seconds,
});
export type MixLoudness = v.InferOutput<typeof MixLoudness>;

/** A track's spectrogram over a time range; see engine/media/spectrogram.ts. */
export const SpectrogramImage = v.object({
  columns: v.number(),
  rows: v.number(),
  minHz: v.number(),
  maxHz: v.number(),
  floorDb: v.number(),
  /** rows * columns bytes, base64, row 0 the highest frequency: 0 = floorDb, 255 = 0 dBFS. */
  data: v.string(),
});
export type SpectrogramImage = v.InferOutput<typeof SpectrogramImage>;

const ProjectRef = { projectId: Id };
/** A class name or a word for one ("speech"); main checks it against shared/classes.ts and says which names there are. */
const ClassWord = v.pipe(v.string(), v.maxLength(40));
const StateOut = EditorState;
const JobStarted = v.object({ jobId: JobId });

// ---- requests ---------------------------------------------------------------------------------

const Empty = v.strictObject({});

export const requests = {
  /** What the renderer is talking to. */
  'app.info': { input: Empty, output: AppInfo },
  /** Most recently used projects first. */
  'projects.recent': {
    input: v.strictObject({ limit: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(100))) }),
    output: v.array(ProjectSummary),
  },
  'projects.open': { input: v.strictObject({ projectId: Id }), output: ProjectView },
  'projects.remove': { input: v.strictObject({ projectId: Id }), output: v.object({ removed: v.boolean() }) },
  /**
   * Open a media file by path (typed, picked in files.list, or dropped in the desktop app):
   * main checks the path is an allowed media file, probes it and creates (or reuses) its project.
   */
  'media.open': { input: v.strictObject({ path: PathString }), output: ProjectView },
  /** Native open dialog in main (desktop only); null when the user cancels. */
  'media.openDialog': { input: Empty, output: v.nullable(ProjectView) },
  /** Mixture waveform peaks for a media file, computed by the engine and cached. */
  'media.peaks': {
    input: v.strictObject({
      mediaId: Id,
      peaksPerSecond: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(1000))),
    }),
    output: Peaks,
  },
  /** Everything the editor shows for a project (sources, mixer, stems, export settings, undo). */
  'editor.state': { input: v.strictObject(ProjectRef), output: StateOut },
  /** Start (or reuse) the analysis that gives heatmaps; null when it is already ready. */
  'editor.analyze': { input: v.strictObject(ProjectRef), output: v.object({ jobId: v.nullable(JobId) }) },
  /** Heatmap frames in [fromSec, fromSec + spanSec); null until the analysis is ready. */
  'editor.heatmaps': {
    input: v.strictObject({ ...ProjectRef, fromSec: Seconds, spanSec: v.pipe(v.number(), v.minValue(0.5), v.maxValue(600)) }),
    output: v.nullable(Heatmaps),
  },
  /** Faces, people and hands over time, on real footage; null until detected (or on a synthetic scene). */
  'editor.detections': { input: v.strictObject(ProjectRef), output: v.nullable(DetectionsView) },
  /** Say what the picture is (Auto / Synthetic scene / Real footage); the analysis follows it. */
  'media.scene': { input: v.strictObject({ ...ProjectRef, scene: SceneSetting }), output: StateOut },
  /** A click on the video: the source is what is at (x, y) at timeSec; className says what it is, when known. */
  'sources.add': { input: v.strictObject({ ...ProjectRef, x: Unit, y: Unit, timeSec: Seconds, className: v.optional(ClassWord) }), output: StateOut },
  /** A source asked for by name alone (audio-only files, sounds off screen). */
  'sources.addByName': { input: v.strictObject({ ...ProjectRef, className: ClassWord }), output: StateOut },
  /** Say what a source is, or null to forget it (refused for a source that has no point). One undo step; its stems become stale. */
  'sources.setClass': { input: v.strictObject({ ...ProjectRef, sourceId: Id, className: v.nullable(ClassWord) }), output: StateOut },
  'sources.rename': { input: v.strictObject({ ...ProjectRef, sourceId: Id, name: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(80)) }), output: StateOut },
  'sources.remove': { input: v.strictObject({ ...ProjectRef, sourceId: Id }), output: StateOut },
  /** A dragged marker: the source is now what is at (x, y) at timeSec (one undo step per drag; its stems become stale). */
  'sources.move': { input: v.strictObject({ ...ProjectRef, sourceId: Id, x: Unit, y: Unit, timeSec: Seconds }), output: StateOut },
  /** How much of the rest of the mix the source's stem keeps out (one undo step per drag; redoes that stem and the residual). */
  'sources.strength': { input: v.strictObject({ ...ProjectRef, sourceId: Id, strength: Strength }), output: StateOut },
  /** Move [startSec, endSec) of the source's stem to another source's stem (to) or the residual (to: null); undoable. */
  'sources.moveRange': {
    input: v.pipe(
      v.strictObject({ ...ProjectRef, sourceId: Id, startSec: Seconds, endSec: Seconds, to: v.nullable(Id) }),
      v.check((i) => i.endSec > i.startSec, 'The range must end after it starts'),
    ),
    output: StateOut,
  },
  /** Separate the project's live sources: a preview range first when given, then the whole file. */
  'separation.start': {
    input: v.strictObject({ ...ProjectRef, previewStartSec: v.optional(Seconds), previewSpanSec: v.optional(v.pipe(v.number(), v.minValue(1), v.maxValue(60))) }),
    output: v.object({ jobIds: v.array(JobId) }),
  },
  'mixer.set': {
    input: v.strictObject({ ...ProjectRef, channelId: Id, gainDb: v.optional(GainDb), pan: v.optional(Pan), mute: v.optional(v.boolean()), solo: v.optional(v.boolean()) }),
    output: StateOut,
  },
  /** Dialogue: keep one source at its level and lower every other stem (residual included) by duckDb. */
  'mixer.duck': { input: v.strictObject({ ...ProjectRef, sourceId: Id, duckDb: v.pipe(v.number(), v.minValue(0), v.maxValue(60)) }), output: StateOut },
  'mixer.monitor': { input: v.strictObject({ ...ProjectRef, monitor: v.picklist(MONITORS) }), output: StateOut },
  'history.undo': { input: v.strictObject(ProjectRef), output: StateOut },
  'history.redo': { input: v.strictObject(ProjectRef), output: StateOut },
  'stems.peaks': { input: v.strictObject({ ...ProjectRef, stemId: Id }), output: Peaks },
  /** Measure the loudness of the remix as the export would write it (whole file, current mixer). */
  'mix.loudness': { input: v.strictObject(ProjectRef), output: MixLoudness },
  /** Spectrogram of a track (a stem or the original, by audio key) over [fromSec, fromSec + spanSec). */
  'stems.spectrogram': {
    input: v.strictObject({
      ...ProjectRef,
      audioKey: AudioKey,
      fromSec: Seconds,
      spanSec: v.pipe(v.number(), v.finite(), v.gtValue(0), v.maxValue(86400)),
      columns: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(4096)),
      rows: v.pipe(v.number(), v.safeInteger(), v.minValue(2), v.maxValue(512)),
    }),
    output: SpectrogramImage,
  },
  /** Prepare the original audio as a WAV main can serve in ranges (the reference track). */
  'media.audio': { input: v.strictObject(ProjectRef), output: v.object({ audioKey: AudioKey, sampleRate: v.number(), channels: v.number() }) },
  'export.settings': { input: v.strictObject({ ...ProjectRef, settings: v.partial(ExportSettingsView) }), output: StateOut },
  /** Native folder dialog (desktop only); null when cancelled. */
  'export.chooseFolder': { input: v.strictObject(ProjectRef), output: v.nullable(PathString) },
  /**
   * Export into a new folder inside `folder` (checked against the allowed roots in the browser).
   * When that folder exists, `conflict` names it and nothing is written unless ifExists says so.
   * With `range` (a time selection, seconds) every file holds only that part of the media; main
   * checks that it is finite, inside the media and starts before it ends.
   */
  'export.start': {
    input: v.strictObject({
      ...ProjectRef,
      ifExists: v.optional(v.picklist(['ask', 'replace', 'new']), 'ask'),
      range: v.optional(v.strictObject({ startSec: v.number(), endSec: v.number() })),
    }),
    output: v.object({ jobId: v.nullable(JobId), folder: PathString, conflict: v.boolean() }),
  },
  /** Open the bundled demo clip as a project. */
  'demo.open': { input: Empty, output: ProjectView },
  /** Ask a background job to stop; false if it already finished or is unknown. */
  'jobs.cancel': { input: v.strictObject({ jobId: JobId }), output: v.object({ cancelled: v.boolean() }) },
  /** Server-side file picker for the browser UI: lists folders and media files under allowed roots. */
  'files.list': { input: v.strictObject({ dir: v.optional(PathString) }), output: FileListing },
} as const;

export type RequestInput<N extends RequestName> = v.InferInput<(typeof requests)[N]['input']>;
export type RequestOutput<N extends RequestName> = v.InferOutput<(typeof requests)[N]['output']>;

export function isRequestName(name: unknown): name is RequestName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(requests, name);
}

// ---- events (main -> renderer) ----------------------------------------------------------------


export const events = {
  /** Progress of background work (peaks, analysis, separation, export). */
  'job.progress': v.object({
    jobId: JobId,
    projectId: v.nullable(Id),
    kind: v.pipe(v.string(), v.maxLength(64)),
    state: JobState,
    stage: v.pipe(v.string(), v.maxLength(200)),
    fraction: v.pipe(v.number(), v.minValue(0), v.maxValue(1)),
    etaSec: v.nullable(Seconds),
    elapsedSec: Seconds,
    /** One line for the user when the job failed: what happened and what to do. */
    error: v.nullable(v.pipe(v.string(), v.maxLength(2000))),
    /**
     * Jobs started by one user action (a preview of the visible range, then the whole file) share
     * action.id and are shown and cancelled as one job, each counting by its weight (seconds of
     * media it separates); null for a job of its own.
     */
    action: v.nullable(v.object({ id: JobId, weight: v.pipe(v.number(), v.minValue(0)) })),
  }),
  /** Main opened a project on its own (native menu: File > Open..., Open Recent). */
  'project.opened': v.object({ project: ProjectView }),
  /** A native menu item the renderer acts on. */
  'menu.command': v.object({ command: v.picklist(['open-media', 'close-project', 'undo', 'redo', 'play-pause', 'export', 'mute', 'solo', 'open-demo']) }),
  /** A project's stems, analysis or export changed in main (a job finished); reload editor.state. */
  'project.changed': v.object({ projectId: Id, what: v.picklist(['stems', 'analysis', 'export']), detail: v.optional(v.pipe(v.string(), v.maxLength(4096))) }),
} as const;

export type EventPayload<N extends EventName> = v.InferOutput<(typeof events)[N]>;

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name);
}

/** Extensions main accepts as media (checked again by probing). */
export const MEDIA_EXTENSIONS = [
  'mp4', 'm4v', 'mov', 'mkv', 'webm', 'avi', 'mpg', 'mpeg', 'ts', 'mts', 'm2ts',
  'wav', 'mp3', 'flac', 'ogg', 'oga', 'opus', 'm4a', 'aac', 'aif', 'aiff',
] as const;

// The channel list in channels.ts and the schemas here must name exactly the same requests.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const requestNamesMatch: Same<keyof typeof requests, RequestName> = true;
const eventNamesMatch: Same<keyof typeof events, EventName> = true;
void requestNamesMatch;
void eventNamesMatch;
