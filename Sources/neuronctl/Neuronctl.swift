import ArgumentParser
@main struct Neuronctl: ParsableCommand {}
