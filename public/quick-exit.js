// Quick exit, loaded before the page's own scripts so it works at once, even
// before the page is interactive. The button and pressing Shift three times
// replace this page with a neutral one; location.replace keeps Back from
// returning here. Modelled on GOV.UK's "Exit this page".
;(function () {
  var TARGET = 'https://www.bbc.co.uk/weather'
  function exit(event) {
    if (event) event.preventDefault()
    try {
      document.title = 'Weather'
      document.body.innerHTML = ''
    } catch {
      // Leaving matters more than hiding: go on to the neutral page regardless.
    }
    window.location.replace(TARGET)
  }
  document.addEventListener(
    'click',
    function (event) {
      var el = event.target && event.target.closest ? event.target.closest('[data-quick-exit]') : null
      if (el) exit(event)
    },
    true,
  )
  var presses = []
  document.addEventListener(
    'keydown',
    function (event) {
      if (event.key !== 'Shift' || event.repeat) return
      var now = Date.now()
      presses = presses.filter(function (t) {
        return now - t < 1000
      })
      presses.push(now)
      if (presses.length >= 3) exit()
    },
    true,
  )
})()
