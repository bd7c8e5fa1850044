/** A fixed-size ring of joint samples: one time column and one column per joint name. */
export class JointHistory {
  readonly capacity: number
  names: string[] = []
  private index = new Map<string, number>()
  times: Float64Array
  columns: Float64Array[] = []
  /** Index where the next sample goes. */
  head = 0
  size = 0

  constructor(capacity: number) {
    this.capacity = capacity
    this.times = new Float64Array(capacity)
  }

  /** Append one sample; a different joint list starts the history afresh; null is kept as NaN. */
  push(time: number, names: readonly string[], positions: readonly (number | null)[]): void {
    if (!sameNames(this.names, names)) this.reset(names)
    this.times[this.head] = time
    for (let j = 0; j < this.columns.length; j++) this.columns[j][this.head] = positions[j] ?? NaN
    this.head = (this.head + 1) % this.capacity
    this.size = Math.min(this.size + 1, this.capacity)
  }

  /** Return the column of one joint, or undefined when it is not in the stream. */
  column(name: string): Float64Array | undefined {
    const j = this.index.get(name)
    return j === undefined ? undefined : this.columns[j]
  }

  /** Return the ring position of the i-th oldest sample (0 is the oldest kept). */
  at(i: number): number {
    return (this.head - this.size + i + this.capacity) % this.capacity
  }

  /** Return the time of the newest sample, or NaN when empty. */
  latestTime(): number {
    return this.size ? this.times[this.at(this.size - 1)] : NaN
  }

  clear(): void {
    this.head = 0
    this.size = 0
  }

  private reset(names: readonly string[]): void {
    this.names = [...names]
    this.index = new Map(this.names.map((n, i) => [n, i]))
    this.columns = this.names.map(() => new Float64Array(this.capacity))
    this.clear()
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
