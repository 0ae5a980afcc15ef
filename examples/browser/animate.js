// The demo panels' Train/Pause button: while running, `frame()` is called once per animation frame.
// Returns `setRunning(on)`, which also labels the button.
export function trainButton(button, frame, running) {
  const loop = () => {
    if (!running) return;
    frame();
    requestAnimationFrame(loop);
  };
  const setRunning = (on) => {
    running = on;
    button.textContent = on ? 'Pause' : 'Train';
    if (on) requestAnimationFrame(loop);
  };
  button.onclick = () => setRunning(!running);
  return setRunning;
}
