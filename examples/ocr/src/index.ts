export {
  argmax,
  classifierInput,
  createIntegerBackend,
  floatClassifier,
  importClassifier,
  integerClassifier,
  type LabeledLine,
  labeledLines,
  lineInput,
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
  RECOGNIZER_DIMS,
  RECOGNIZER_FILE,
  recognizerAlphabet,
} from './models.js';
export {
  compareRecognizer,
  ctcDecode,
  editDistance,
  importRecognizer,
  neckDtypes,
  type RecognizerPrecision,
  type RecognizerReport,
  recognizerLines,
  type TextLine,
} from './recognizer.js';
export { FONTS, type LineStyle, parsePpm, type RgbImage, renderLine } from './render.js';
