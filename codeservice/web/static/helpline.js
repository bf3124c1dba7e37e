// The helpline console's three character boxes: typing one character moves to the
// next box, and Backspace in an empty box goes back. The form works without this.
const boxes = Array.from(document.querySelectorAll("input.app-character"));

boxes.forEach((box, index) => {
  box.addEventListener("focus", () => box.select());
  box.addEventListener("input", () => {
    if (box.value.length === 1 && index + 1 < boxes.length) {
      boxes[index + 1].focus();
    }
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Backspace" && box.value === "" && index > 0) {
      event.preventDefault();
      boxes[index - 1].focus();
    }
  });
});
