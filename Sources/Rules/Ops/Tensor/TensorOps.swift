public enum TensorOps { public static let all: [StandardOps.Registration] = [] }
