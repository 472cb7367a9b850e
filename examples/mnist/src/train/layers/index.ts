import type { BatchNorm2d } from './batchnorm2d.js';
import type { Conv2d } from './conv2d.js';
import type { Dense } from './dense.js';
import type { Flatten } from './flatten.js';
import type { MaxPool2d } from './maxpool2d.js';
import type { Relu } from './relu.js';

export { BatchNorm2d } from './batchnorm2d.js';
export { Conv2d } from './conv2d.js';
export { Dense } from './dense.js';
export { Flatten } from './flatten.js';
export type { LayerOps } from './layer.js';
export { MaxPool2d } from './maxpool2d.js';
export { Relu } from './relu.js';

/** Every layer kind a model may contain; `kind` discriminates them for export. */
export type Layer = Dense | Relu | Conv2d | BatchNorm2d | MaxPool2d | Flatten;
