// CartPole-v1 for examples/actor-critic.mjs, written from the classic control equations (Barto, Sutton
// & Anderson 1983, with the constants and Euler integration of Gym's cartpole): a pole hinged on a
// cart that moves on a track; each step pushes the cart left (action 0) or right (action 1) with a
// fixed force. Reward 1 for every step, the last one included; the episode ends when the pole leans
// more than 12 degrees or the cart leaves ±2.4, and is cut at 500 steps (v1's time limit).
import { prng } from './prng.mjs';

export const GRAVITY = 9.8, MASS_CART = 1.0, MASS_POLE = 0.1, HALF_LENGTH = 0.5, FORCE = 10.0, TAU = 0.02;
export const THETA_LIMIT = 12 * 2 * Math.PI / 360, X_LIMIT = 2.4, MAX_STEPS = 500;

/**
 * One Euler step of the dynamics from `state` = [x, xDot, theta, thetaDot] (float64 numbers) under
 * `action` (0 or 1); returns the next state. Every update uses the old state's values.
 */
export function cartPoleStep([x, xDot, theta, thetaDot], action) {
  const totalMass = MASS_CART + MASS_POLE, poleMassLength = MASS_POLE * HALF_LENGTH;
  const force = action === 1 ? FORCE : -FORCE;
  const cos = Math.cos(theta), sin = Math.sin(theta);
  const temp = (force + poleMassLength * thetaDot * thetaDot * sin) / totalMass;
  const thetaAcc = (GRAVITY * sin - cos * temp) / (HALF_LENGTH * (4 / 3 - MASS_POLE * cos * cos / totalMass));
  const xAcc = temp - poleMassLength * thetaAcc * cos / totalMass;
  return [x + TAU * xDot, xDot + TAU * xAcc, theta + TAU * thetaDot, thetaDot + TAU * thetaAcc];
}

/** The environment: `reset()` and `step(action)` as Gym's (observations are float32, the state float64). */
export class CartPole {
  constructor(seed = 0) {
    this.random = prng(seed);
    this.state = undefined;
    this.steps = 0;
  }

  /** A new episode: each state value uniform in ±0.05. Returns the observation. */
  reset() {
    this.state = Array.from({ length: 4 }, () => this.random() * 0.1 - 0.05);
    this.steps = 0;
    return Float32Array.from(this.state);
  }

  /** Applies `action`; returns { state, reward, terminated, truncated } (truncated: the 500-step limit). */
  step(action) {
    if (this.state === undefined) throw new Error('CartPole.step: call reset() first');
    if (action !== 0 && action !== 1) throw new Error(`CartPole.step: action must be 0 or 1, got ${action}`);
    this.state = cartPoleStep(this.state, action);
    this.steps++;
    const [x, , theta] = this.state;
    const terminated = Math.abs(x) > X_LIMIT || Math.abs(theta) > THETA_LIMIT;
    return { state: Float32Array.from(this.state), reward: 1, terminated, truncated: !terminated && this.steps >= MAX_STEPS };
  }
}
