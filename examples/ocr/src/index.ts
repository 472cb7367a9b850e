export {
  argmax,
  CLASSIFIER_CONV_SPLIT,
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
export { type DbOptions, dbBoxes, iou, matchedBoxes, type TextBox } from './db-boxes.js';
export {
  DETECTOR_DIMS,
  DETECTOR_FILE,
  DETECTOR_SIZE,
  type Detector,
  type DetectorImportOptions,
  detectorInput,
  floatDetector,
  importDetector,
  integerDetector,
  type PageSize,
  type TextPage,
  textPages,
} from './detector.js';
export { type ClassifierReport, compareClassifier } from './evaluate.js';
export { compareDetector, type DetectorReport, type PageBoxes } from './evaluate-detector.js';
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
export { type OcrLine, type OcrModels, readPage, readText } from './pipeline.js';
export {
  compareRecognizer,
  ctcDecode,
  editDistance,
  importRecognizer,
  neckDtypes,
  RECOGNIZER_CONV_SPLIT,
  type RecognizerPrecision,
  type RecognizerReport,
  recognizerLines,
  type TextLine,
} from './recognizer.js';
export { FONTS, type LineStyle, parsePpm, type RgbImage, renderLine } from './render.js';
