/** ResNet50's input side: 224x224 RGB. Its own module so workers need not load the image decoder. */
export const INPUT_SIZE = 224;
/** Width of ResNet50's pooled features (`avg_pool`), which heads run on. */
export const FEATURE_SIZE = 2048;
