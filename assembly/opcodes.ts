// Op codes shared by the AssemblyScript core and the TypeScript wrapper (this file is valid in both
// languages). A tape record stores one of these; the backward sweep dispatches on it.
export enum Op {
  // unary elementwise
  Neg = 1, Abs, Sign, Square, Sqrt, Rsqrt, Exp, Expm1, Log, Log1p, Sin, Cos, Tan, Tanh, Sigmoid,
  Relu, Relu6, LeakyRelu, Elu, Selu, Softplus, Silu, Gelu, Reciprocal, Floor, Ceil, Round,
  LogicalNot, Identity, Step, Erf,
  // binary elementwise with broadcasting
  Add = 40, Sub, Mul, Div, Pow, Maximum, Minimum, Mod, FloorDiv,
  Equal, NotEqual, Greater, GreaterEqual, Less, LessEqual, LogicalAnd, LogicalOr,
  // everything else
  Cast = 70, Where, Sum, Max, Min, Prod, ArgMax, ArgMin, MatMul, Reshape, Transpose, BroadcastTo,
  Softmax, LogSoftmax, Slice, Pad, ConcatPart, Gather, Tile, OneHot, Conv2D, MaxPool, AvgPool,
  Custom, Scatter, Conv2DBackpropInput, Conv2DBackpropFilter, MaxPoolGrad, AvgPoolGrad,
  UnaryGrad, // dy·f'(x) of a unary op in one pass (elementwise.ts unaryGrad)
}

export enum DType { Float32 = 0, Int32 = 1, Bool = 2 }
