export {
  argmax,
  classifierInput,
  createIntegerBackend,
  floatClassifier,
  importClassifier,
  integerClassifier,
  type LabeledLine,
  labeledLines,
} from './classifier.js';
export { textLines } from './corpus.js';
export { type ClassifierReport, compareClassifier } from './evaluate.js';
export {
  CLASSIFIER_DIMS,
  CLASSIFIER_FILE,
  CLASSIFIER_HEIGHT,
  CLASSIFIER_LABELS,
  CLASSIFIER_WIDTH,
  classifierBytes,
} from './models.js';
export { FONTS, type LineStyle, parsePpm, type RgbImage, renderLine } from './render.js';
