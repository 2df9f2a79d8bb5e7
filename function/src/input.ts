/** ResNet50's input side: 224x224 RGB. Its own module so workers need not load the image decoder. */
export const INPUT_SIZE = 224;
