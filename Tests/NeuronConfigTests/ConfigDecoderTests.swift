import NeuronConfig
import Testing
