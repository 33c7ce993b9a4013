/** Project library: one SQLite file holding every project. See docs/data.md. */
export { openLibrary, tx, type Db, type Library, type OpenLibraryOptions } from './db';
export { migrate, MIGRATIONS, LATEST_VERSION, SchemaTooNewError, type Migration } from './migrations';
export * from './types';
export { NotFoundError } from './rows';
export { InvalidInputError } from './validate';
export {
  createProject,
  getProject,
  renameProject,
  deleteProject,
  listRecentProjects,
  findProjectsByMedia,
  markProjectOpened,
  openProject,
} from './projects';
export { fingerprintFile, mediaFacts, type MediaFacts, addMedia, getMedia, listMedia, relinkMedia, setMediaScene, mediaFileStatus, type AddMediaInput } from './media';
export {
  SOURCE_PALETTE,
  getSource,
  listSources,
  addSource,
  renameSource,
  moveSource,
  recolourSource,
  setSourceClass,
  checkClassName,
  removeSource,
  setSourceStrength,
  moveStemRange,
  type AddSourceInput,
} from './sources';
export {
  MIN_GAIN_DB,
  MAX_GAIN_DB,
  listMixerChannels,
  findMixerChannel,
  setMixer,
  setMixerBatch,
  duckAllBut,
  setMasterGain,
  setMonitor,
} from './mixer';
export {
  COALESCE_MS,
  MAX_HISTORY,
  undo,
  redo,
  historyState,
  purgeUnreachableSources,
  type HistoryChange,
  type MixerFields,
  type SourceFields,
} from './history';
export {
  sha256File,
  recordStem,
  getStem,
  listStems,
  removeStems,
  stemFileStatus,
  verifyStem,
  StemFileError,
  type RecordStemInput,
} from './stems';
export {
  getAnalysis,
  getAnalysisById,
  beginAnalysis,
  completeAnalysis,
  failAnalysis,
  findReusableAnalysis,
  listAnalysesForProject,
  type AnalysisKey,
} from './analyses';
export { DEFAULT_NAMING_TEMPLATE, getExportSettings, setExportSettings } from './export-settings';
export {
  INTERRUPTED_MESSAGE,
  insertJob,
  updateJob,
  getJob,
  findJob,
  listJobs,
  markInterruptedJobs,
  libraryJobStore,
  type InsertJobInput,
  type JobUpdate,
} from './jobs';
