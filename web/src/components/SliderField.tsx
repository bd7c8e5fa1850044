import { useEffect, useState } from 'react'

interface Props {
  id: string
  label: string
  min: number
  max: number
  step: number
  value: number
  unit: string
  disabled?: boolean
  onChange: (value: number) => void
  /** Called too when the value comes from dragging the slider (not from typing in the box). */
  onSlide?: (value: number) => void
}

/** A range slider with a number box beside it; values outside [min, max] are clamped. */
export function SliderField({ id, label, min, max, step, value, unit, disabled, onChange, onSlide }: Props) {
  const [text, setText] = useState(String(value))
  useEffect(() => {
    if (Number.parseFloat(text) !== value) setText(String(value))
    // Only an outside change of value rewrites the box; typing keeps what was typed.
  }, [value])
  const set = (raw: string, slid = false) => {
    setText(raw)
    const v = Number.parseFloat(raw)
    if (!Number.isFinite(v)) return
    const clamped = Math.min(max, Math.max(min, v))
    onChange(clamped)
    if (slid) onSlide?.(clamped)
  }
  return (
    <div className="slider">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="range"
        min={min}
        max={max}
        step={step}
        value={value}
        disabled={disabled}
        data-testid={id}
        onChange={(e) => set(e.target.value, true)}
      />
      <span className="row" style={{ flexWrap: 'nowrap', gap: 4 }}>
        <input
          type="number"
          min={min}
          max={max}
          step={step}
          value={text}
          disabled={disabled}
          aria-label={`${label} (${unit})`}
          data-testid={`${id}-value`}
          onChange={(e) => set(e.target.value)}
        />
        <span className="unit">{unit}</span>
      </span>
    </div>
  )
}
