import { describe, expect, it } from 'vitest'
import { render, screen } from '@testing-library/react'
import type { JointStatesData } from '../generated/ws'
import { PoseView } from './PoseView'

describe('PoseView', () => {
  it('labels the body yaw, head orientation and height it draws', () => {
    const name = ['yaw_body', 'head_z', 'head_roll', 'head_pitch', 'head_yaw', 'head_x']
    const position = [Math.PI / 4, 0.012, -0.1, 0.2, 0.5, -0.005]
    const sample = { stamp: 0, seq: 1, name, position, velocity: [], effort: [] } satisfies JointStatesData
    render(<PoseView sample={sample} />)
    const text = screen.getByTestId('pose-view').textContent
    expect(text).toContain('body 45°')
    expect(text).toContain('yaw 29°')
    expect(text).toContain('roll -6°')
    expect(text).toContain('z 12 mm')
    expect(text).toContain('pitch 11°')
    expect(text).toContain('x -5 mm')
  })

  it('draws a joint whose position is unknown (null) at its neutral', () => {
    const sample = {
      stamp: 0,
      seq: 1,
      name: ['yaw_body', 'head_z'],
      position: [null, 0.01],
      velocity: [null, null],
      effort: [],
    } satisfies JointStatesData
    render(<PoseView sample={sample} />)
    const text = screen.getByTestId('pose-view').textContent
    expect(text).toContain('body 0°')
    expect(text).toContain('z 10 mm')
  })

  it('draws the neutral pose before any sample', () => {
    render(<PoseView sample={null} />)
    expect(screen.getByTestId('pose-view').textContent).toContain('body 0°')
  })
})
