public enum NNOps { public static let all: [StandardOps.Registration] = [] }
